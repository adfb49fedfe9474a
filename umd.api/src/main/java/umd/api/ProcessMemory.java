package umd.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The CPU's view of one process's memory, as code running in the process has it: reads and writes
 * through the process's page table. Throws {@link ThunkException} ({@code ACCESS_VIOLATION}) on an
 * access the page protection does not allow.
 */
@ProviderType
public interface ProcessMemory {
    int pid();

    byte[] read(long va, int length);

    void write(long va, byte[] data);
}
