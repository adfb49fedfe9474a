package os.memmgr;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service told about process exit, so that kernel components (VidMm) can release what
 * they hold for a process before its memory goes.
 */
@ConsumerType
public interface ProcessListener {
    /**
     * Called on the thread of {@link MemoryManager#kill} before the address space is torn down; the
     * address space is still usable. Must not throw; an exception is ignored.
     */
    void processExiting(int pid);
}
