package vidmm.internal;

import java.util.Set;

import kmd.api.AllocationFlag;
import os.memmgr.PinnedPages;
import vidmm.Allocation;

/** An allocation as VidMm owns it. Guarded by VidMm's lock. */
final class AllocationState {
    final long handle;
    final DeviceState device;
    final long va;
    final long size;
    final Set<AllocationFlag> flags;
    /** The OS section backing a shared allocation, or 0. */
    final long section;
    /** The creator's handle for an opened shared allocation, its own handle for a created shared one, else 0. */
    final long sharedHandle;
    /** Created here (true) or opened from another process (false). */
    final boolean owner;
    int residencyRefs;
    PinnedPages pin;
    /** When VidMm last saw it used (a tick of {@link Residency}'s clock), for least-recently-used eviction. */
    long lastUse;

    AllocationState(long handle, DeviceState device, long va, long size, Set<AllocationFlag> flags, long section,
                    long sharedHandle, boolean owner) {
        this.handle = handle;
        this.device = device;
        this.va = va;
        this.size = size;
        this.flags = Set.copyOf(flags);
        this.section = section;
        this.sharedHandle = sharedHandle;
        this.owner = owner;
    }

    Allocation info() {
        return new Allocation(handle, device.handle, device.pid, va, size, flags, sharedHandle, pin != null);
    }
}
