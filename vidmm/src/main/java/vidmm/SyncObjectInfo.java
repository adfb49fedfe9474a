package vidmm;

/**
 * A monitored fence (D3DKMTCreateSynchronizationObject).
 *
 * @param handle VidMm's handle of it
 * @param pid    the process whose contexts signal and wait for it
 * @param va     where its 64-bit value lives in that process (the CPU reads it there; a GPU signal writes it)
 * @param value  the value it reached
 */
public record SyncObjectInfo(long handle, int pid, long va, long value) {
}
