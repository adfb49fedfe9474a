package vidmm.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import os.memmgr.MemoryManager;
import vidmm.FenceWait;
import vidmm.SyncObjectInfo;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * Monitored fences (D3DKMTCreateSynchronizationObject2 of type MONITORED_FENCE): each is a page of
 * its process's memory holding its 64-bit value, which the GPU writes through the IOMMU and the CPU
 * reads. Signals and waits from the CPU are here; those from the GPU are submissions on a context
 * (VidMm routes them to the context's adapter).
 */
final class SyncObjects {
    private final MemoryManager mm;
    private final Map<Long, SyncObjectState> objects = new ConcurrentHashMap<>();
    /** Each object's pin of its value's page, by the object's handle. */
    private final Map<Long, Long> pins = new ConcurrentHashMap<>();

    SyncObjects(MemoryManager mm) {
        this.mm = mm;
    }

    /** Whether an object has that handle (a process's exit takes its objects). */
    boolean exists(long sync) {
        return objects.containsKey(sync);
    }

    /** The object, or INVALID_HANDLE. */
    SyncObjectState of(long sync) {
        SyncObjectState s = objects.get(sync);
        if (s == null) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no synchronization object has handle 0x"
                    + Long.toHexString(sync));
        }
        return s;
    }

    /** The object, if process {@code pid} (that of {@code context}) owns it; else INVALID_HANDLE naming both. */
    SyncObjectState of(long sync, int pid, long context) {
        SyncObjectState s = of(sync);
        if (pid != s.pid) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, String.format(
                    "synchronization object 0x%x is process %d's, not process %d's (context 0x%x)", sync, s.pid, pid, context));
        }
        return s;
    }

    static void requirePositive(long value) {
        if (value < 1) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "a fence value must be 1 or more, not " + value);
        }
    }

    /**
     * A new object of process {@code pid}, with handle {@code handle}: its value's page is committed in
     * the process and pinned (the GPU writes it under any fault policy, and a monitored fence's storage
     * is never paged out); its release, or the process's exit, unpins it.
     */
    long create(int pid, long handle) {
        os.memmgr.AddressSpace space = Calls.os(() -> mm.addressSpace(pid));
        long va = Calls.os(() -> space.allocate(4096, os.memmgr.PageProtection.READWRITE));
        long pin;
        try {
            pin = Calls.os(() -> space.pin(va, 4096, true).handle());
        } catch (VidMmException e) {
            Calls.quietly(() -> space.release(va));
            throw e;
        }
        pins.put(handle, pin);
        SyncObjectState s = new SyncObjectState(handle, pid, va);
        objects.put(s.handle, s);
        return s.handle;
    }

    void destroy(long sync) {
        SyncObjectState s = of(sync);
        if (objects.remove(sync, s)) {
            Long pin = pins.remove(sync);
            if (pin != null) {
                Calls.quietly(() -> mm.addressSpace(s.pid).unpin(pin));
            }
            Calls.quietly(() -> mm.addressSpace(s.pid).release(s.va));
            s.destroyed();
        }
    }

    /** The CPU writes {@code value} to the object's page and wakes its waiters (nothing if it is there already). */
    void signalFromCpu(long sync, long value) {
        requirePositive(value);
        SyncObjectState s = of(sync);
        if (!s.reached(value)) {
            byte[] le = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(value).array();
            Calls.os(() -> {
                mm.addressSpace(s.pid).write(s.va, le);
                return null;
            });
            s.signalled(value);
        }
    }

    FenceWait waitFromCpu(long sync, long value, long timeoutMillis) {
        SyncObjectState s = of(sync);
        try {
            return s.await(value, Math.max(0, timeoutMillis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FenceWait.TIMED_OUT;
        }
    }

    SyncObjectInfo info(long sync) {
        SyncObjectState s = of(sync);
        return new SyncObjectInfo(s.handle, s.pid, s.va, s.value());
    }

    List<SyncObjectInfo> list() {
        return objects.keySet().stream().sorted().map(this::info).toList();
    }

    /**
     * DXGK_INTERRUPT_MONITORED_FENCE_SIGNALED: the GPU wrote a monitored fence of process {@code pid}
     * from a command buffer. Each of the process's objects takes the value its page now holds, if
     * higher (a monitored fence only grows), which wakes its waiters on the CPU and the GPU. Called on
     * an adapter's worker thread, without VidMm's locks (the read may page in).
     */
    void refresh(int pid) {
        for (SyncObjectState s : List.copyOf(objects.values())) {
            if (s.pid != pid) {
                continue;
            }
            byte[] b;
            try {
                b = mm.addressSpace(pid).read(s.va, 8);
            } catch (os.memmgr.MemoryException gone) {
                continue; // the process is exiting: its objects go with it
            }
            long value = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            if (!s.reached(value)) {
                s.signalled(value);
            }
        }
    }

    /** Process {@code pid} exited: its objects go (their pages go with the process), their waiters are woken. */
    void processExited(int pid) {
        for (SyncObjectState s : List.copyOf(objects.values())) {
            if (s.pid == pid && objects.remove(s.handle, s)) {
                pins.remove(s.handle); // the process's pins went with it
                s.destroyed();
            }
        }
    }
}
