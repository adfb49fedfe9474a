package vidmm;

import java.util.Set;

import kmd.api.AllocationFlag;

/**
 * An allocation as VidMm owns it (not the driver), so that a driver can be told about it again.
 *
 * @param handle       VidMm's handle
 * @param device       the device that created or opened it
 * @param pid          the process whose address space backs it
 * @param va           its shared CPU/GPU virtual address in that process
 * @param size         bytes, as the driver described it
 * @param flags        its flags
 * @param sharedHandle for a shared allocation, the handle other processes open it by (else 0)
 * @param resident     whether it is resident (its pages pinned)
 */
public record Allocation(long handle, long device, int pid, long va, long size, Set<AllocationFlag> flags,
                         long sharedHandle, boolean resident) {
}
