package vidmm;

import java.util.Set;

import kmd.api.AllocationFlag;
import umd.api.AllocationCreateFlag;

/**
 * An allocation as VidMm owns it (not the driver), so that a driver can be told about it again.
 *
 * @param handle       VidMm's handle
 * @param device       the device that created or opened it
 * @param pid          the process whose address space backs it
 * @param va           its shared CPU/GPU virtual address in that process
 * @param size         bytes, as the driver described it
 * @param createFlags  what the application asked for (the creator's, for an opened shared allocation)
 * @param flags        what the driver described (DXGK_ALLOCATIONINFOFLAGS)
 * @param sharedHandle for a shared allocation, the handle other processes open it by (else 0)
 * @param resident     whether it is resident (its pages pinned)
 */
public record Allocation(long handle, long device, int pid, long va, long size, Set<AllocationCreateFlag> createFlags,
                         Set<AllocationFlag> flags, long sharedHandle, boolean resident) {
    /** The driver's flags, then the application's: how the shell prints them. */
    public java.util.List<String> flagNames() {
        java.util.List<String> names = new java.util.ArrayList<>();
        flags.forEach(f -> names.add(f.name()));
        createFlags.forEach(f -> names.add(f.name()));
        return names;
    }
}
