package umd.api;

/**
 * A monitored fence the kernel made for a device's process (D3DKMTCreateSynchronizationObject2 with
 * D3DDDI_MONITORED_FENCE).
 *
 * @param handle the kernel's handle of it
 * @param va     where its 64-bit value (little endian) lives in the process: the CPU reads the value
 *               reached there, as D3D12's GetCompletedValue does
 */
public record KmtSyncObject(long handle, long va) {
}
