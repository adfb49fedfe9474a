package vidmm.internal;

import java.util.Set;

import kmd.api.AllocationDescription;
import kmd.api.AllocationFlag;
import kmd.api.AllocationRequest;
import os.memmgr.PinnedPages;
import umd.api.AllocationCreateFlag;
import vidmm.Allocation;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/** An allocation as VidMm owns it. Guarded by VidMm's lock. */
final class AllocationState {
    static final long MAX_ALLOCATION = 64L << 30;

    final long handle;
    final DeviceState device;
    final long va;
    final long size;
    /** What the application asked for (D3DDDI_ALLOCATIONINFO2.Flags.Primary, CreateShared), the creator's for an opened one. */
    final Set<AllocationCreateFlag> createFlags;
    /** What the driver described (DXGK_ALLOCATIONINFOFLAGS). */
    final Set<AllocationFlag> flags;
    /** The OS section backing a shared allocation, or 0. */
    final long section;
    /** The creator's handle for an opened shared allocation, its own handle for a created shared one, else 0. */
    final long sharedHandle;
    /** Created here (true) or opened from another process (false). */
    final boolean owner;
    int residencyRefs;
    PinnedPages pin;

    AllocationState(long handle, DeviceState device, long va, long size, Set<AllocationCreateFlag> createFlags,
                    Set<AllocationFlag> flags, long section, long sharedHandle, boolean owner) {
        this.handle = handle;
        this.device = device;
        this.va = va;
        this.size = size;
        this.createFlags = inOrder(createFlags, AllocationCreateFlag.class);
        this.flags = inOrder(flags, AllocationFlag.class);
        this.section = section;
        this.sharedHandle = sharedHandle;
        this.owner = owner;
    }

    /**
     * In the enum's order, so that what prints the flags prints them alike in every run (Set.copyOf's
     * order changes from one JVM to the next).
     */
    private static <E extends Enum<E>> Set<E> inOrder(Set<E> flags, Class<E> type) {
        return java.util.Collections.unmodifiableSet(flags.isEmpty() ? java.util.EnumSet.noneOf(type) : java.util.EnumSet.copyOf(flags));
    }

    boolean primary() {
        return createFlags.contains(AllocationCreateFlag.PRIMARY);
    }

    /** What DxgkDdiCreateAllocation is asked to describe for it. */
    AllocationRequest request() {
        return new AllocationRequest(size, primary());
    }

    Allocation info() {
        return new Allocation(handle, device.handle, device.pid, va, size, createFlags, flags, sharedHandle, pin != null);
    }

    /** Refuses, as DRIVER_REFUSED naming what is wrong, a description that does not fit what was requested. */
    static void checkDescription(AllocationRequest request, AllocationDescription desc) {
        String problem = null;
        if (desc == null) {
            problem = "no description";
        } else if (desc.size() < request.size()) {
            problem = "size " + desc.size() + " is less than the requested " + request.size();
        } else if (desc.size() > MAX_ALLOCATION) {
            problem = "size " + desc.size() + " is over " + MAX_ALLOCATION;
        } else if (desc.alignment() < 4096 || Long.bitCount(desc.alignment()) != 1 || desc.alignment() > 65536) {
            problem = "alignment " + desc.alignment() + " is not a power of two in 4096..65536";
        }
        if (problem != null) {
            throw new VidMmException(VidMmStatus.DRIVER_REFUSED, "DxgkDdiCreateAllocation described an invalid allocation: "
                    + problem);
        }
    }
}
