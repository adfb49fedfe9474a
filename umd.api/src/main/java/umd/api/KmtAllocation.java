package umd.api;

/**
 * An allocation the kernel made for a device.
 *
 * @param handle       the kernel's allocation handle
 * @param va           its shared CPU/GPU virtual address in the process
 * @param size         bytes
 * @param sharedHandle the handle another process opens it by, or 0 if not shared
 */
public record KmtAllocation(long handle, long va, long size, long sharedHandle) {
}
