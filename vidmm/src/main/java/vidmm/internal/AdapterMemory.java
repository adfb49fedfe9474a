package vidmm.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import kmd.api.AllocationDescription;
import kmd.api.AllocationRequest;
import os.memmgr.AddressSpace;
import os.memmgr.MemoryManager;
import os.memmgr.PageProtection;
import umd.api.AllocationCreateFlag;
import vidmm.Allocation;
import vidmm.VidMmException;
import vidmm.VidMmStatus;
import vidmm.VideoMemoryInfo;

import static vidmm.internal.Calls.ddi;
import static vidmm.internal.Calls.quietly;

/**
 * One adapter's allocations and their residency: D3DKMTCreateAllocation (DxgkDdiCreateAllocation
 * describes it, the OS commits it in the process's address space, DxgkDdiOpenAllocation gives it
 * the device), shared allocations opened in another process, their destruction, MakeResident /
 * Evict and the figures of D3DKMTQueryVideoMemoryInfo ({@link Residency} keeps the counts). Every
 * call is a change of the adapter, its driver and OS calls made without the bookkeeping lock.
 */
final class AdapterMemory {
    static final long MAX_ALLOCATION = AllocationState.MAX_ALLOCATION;

    /** What allocations need of the whole VidMm: handles, and the shared allocations of every adapter. */
    interface Shared {
        long nextHandle();

        /** A shared allocation created on any adapter, by its shared handle, or null. */
        AllocationState shared(long sharedHandle);

        void sharedCreated(AllocationState a);

        void sharedDestroyed(AllocationState a);
    }

    private final AdapterState adapter;
    private final MemoryManager mm;
    private final Shared kernel;
    private final DriverSeat seat;
    private final Display display;
    private final PagingFence pagingFence;
    private final Residency residency;

    AdapterMemory(AdapterState adapter, Shared kernel, DriverSeat seat, Display display, PagingFence pagingFence,
                  long budgetBytes) {
        this.adapter = adapter;
        this.mm = adapter.mm;
        this.kernel = kernel;
        this.seat = seat;
        this.display = display;
        this.pagingFence = pagingFence;
        this.residency = new Residency(adapter, budgetBytes);
    }

    Allocation allocate(long device, long size, Set<AllocationCreateFlag> flags) {
        try (AdapterState.Held held = adapter.change()) {
            seat.requireStarted();
            DeviceState d = adapter.deviceLocked(device);
            AdapterState.requireActive(d);
            if (size <= 0 || size > MAX_ALLOCATION) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "allocation size must be 1.." + MAX_ALLOCATION
                        + " bytes, not " + size);
            }
            AllocationRequest request = new AllocationRequest(size, flags.contains(AllocationCreateFlag.PRIMARY));
            AllocationDescription described = ddi("DxgkDdiCreateAllocation", () -> seat.kmd().createAllocation(seat.handles().of(d), request));
            AllocationState.checkDescription(request, described);
            // VidMm backs whole pages: a driver's odd size is rounded up, as the memory manager would
            AllocationDescription desc = new AllocationDescription((described.size() + 4095) & ~4095L, described.alignment(),
                    described.preferredSegment(), described.flags());
            boolean shared = flags.contains(AllocationCreateFlag.CREATE_SHARED);
            AddressSpace space = adapter.os(() -> mm.addressSpace(d.pid));
            long section = shared ? adapter.os(() -> mm.createSection(desc.size())) : 0;
            long va;
            try {
                va = adapter.os(() -> shared ? space.mapSection(section, PageProtection.READWRITE)
                        : space.allocate(desc.size(), PageProtection.READWRITE));
            } catch (VidMmException e) {
                if (shared) {
                    adapter.osQuietly(() -> mm.closeSection(section));
                }
                throw e;
            }
            long handle = kernel.nextHandle();
            AllocationState a = new AllocationState(handle, d, va, desc.size(), flags, desc.flags(), section,
                    shared ? handle : 0, true);
            try {
                long opened = ddi("DxgkDdiOpenAllocation", () -> seat.kmd().openAllocation(seat.handles().of(d), handle, true));
                seat.handles().put(a, opened);
            } catch (VidMmException e) {
                quietly(() -> seat.kmd().destroyAllocation(handle));
                adapter.osQuietly(() -> space.release(va));
                if (shared) {
                    adapter.osQuietly(() -> mm.closeSection(section));
                }
                throw e;
            }
            d.allocations.put(handle, a);
            adapter.allocations.put(handle, a);
            if (shared) {
                kernel.sharedCreated(a);
            }
            return a.info();
        }
    }

    /** Opens a shared allocation (created on this adapter or another) in the device's process. */
    Allocation openShared(long device, long sharedHandle) {
        try (AdapterState.Held held = adapter.change()) {
            seat.requireStarted();
            DeviceState d = adapter.deviceLocked(device);
            AdapterState.requireActive(d);
            AllocationState source = kernel.shared(sharedHandle);
            AllocationState here = adapter.allocations.get(sharedHandle);
            if (source == null && here != null && here.owner) {
                throw new VidMmException(VidMmStatus.NOT_SHARED, "allocation 0x" + Long.toHexString(sharedHandle)
                        + " was not created SHARED");
            }
            if (source == null) {
                throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no shared allocation has handle 0x"
                        + Long.toHexString(sharedHandle));
            }
            AddressSpace space = adapter.os(() -> mm.addressSpace(d.pid));
            long va = adapter.os(() -> space.mapSection(source.section, PageProtection.READWRITE));
            long handle = kernel.nextHandle();
            AllocationState a = new AllocationState(handle, d, va, source.size, source.createFlags, source.flags,
                    source.section, source.handle, false);
            try {
                long opened = ddi("DxgkDdiOpenAllocation", () -> seat.kmd().openAllocation(seat.handles().of(d), handle, false));
                seat.handles().put(a, opened);
            } catch (VidMmException e) {
                adapter.osQuietly(() -> space.release(va));
                throw e;
            }
            d.allocations.put(handle, a);
            adapter.allocations.put(handle, a);
            return a.info();
        }
    }

    void destroyAllocation(long device, long allocation) {
        try (AdapterState.Held held = adapter.change()) {
            DeviceState d = adapter.deviceLocked(device);
            AllocationState a = adapter.allocationLocked(d, allocation);
            display.refuseIfShown(a);
            destroyLocked(a);
        }
    }

    /** Destroys an allocation in a change: unpinned, closed and destroyed in the driver, its memory released. */
    void destroyLocked(AllocationState a) {
        DeviceState d = a.device;
        if (a.pin != null) {
            residency.unpin(a);
        }
        if (seat.kmd() != null) {
            DriverHandles h = seat.handles();
            quietly(() -> seat.kmd().closeAllocation(h.of(d), h.of(a)));
            h.remove(a);
            if (a.owner) {
                quietly(() -> seat.kmd().destroyAllocation(a.handle));
            }
        }
        adapter.osQuietly(() -> mm.addressSpace(d.pid).release(a.va));
        if (a.owner && a.section != 0) {
            kernel.sharedDestroyed(a);
            adapter.osQuietly(() -> mm.closeSection(a.section));
        }
        d.allocations.remove(a.handle);
        adapter.allocations.remove(a.handle);
    }

    /**
     * MakeResident of {@code handles} of a device: 0 when resident, else NumBytesToTrim (refused over the
     * budget, nothing changed) unless {@code cantTrimFurther}. With {@code mustSucceed}, an OS refusal
     * puts the device in error before it is thrown.
     */
    long makeResident(long device, List<Long> handles, boolean cantTrimFurther, boolean mustSucceed) {
        try (AdapterState.Held held = adapter.change()) {
            seat.requireStarted();
            DeviceState d = adapter.deviceLocked(device);
            List<AllocationState> list = new ArrayList<>();
            for (long h : handles) {
                list.add(adapter.allocationLocked(d, h));
            }
            try {
                return residency.makeResident(d, list, cantTrimFurther);
            } catch (VidMmException e) {
                if (mustSucceed) {
                    d.fault(); // MustSucceed: the device cannot go on without them
                }
                throw e;
            }
        }
    }

    /** VidMm's own paging fence, advanced past a MakeResident that needs no queue (pinning is synchronous). */
    long pagingFenceAfterMakeResident() {
        long fence = pagingFence.next();
        pagingFence.completed(fence);
        return fence;
    }

    /** Evict; returns NumBytesToTrim: how far the process is still over its budget here. */
    long evict(long device, List<Long> handles) {
        try (AdapterState.Held held = adapter.change()) {
            DeviceState d = adapter.deviceLocked(device);
            List<AllocationState> list = new ArrayList<>();
            for (long h : handles) {
                list.add(adapter.allocationLocked(d, h));
            }
            residency.evict(list);
            return residency.overBudget(d.pid);
        }
    }

    /** The process's devices on this adapter (none if it has none here). */
    List<Long> devicesOf(int pid) {
        try (AdapterState.Held held = adapter.read()) {
            ProcessState p = adapter.processes.get(pid);
            return p == null ? List.of() : List.copyOf(p.devices);
        }
    }

    /** The process's figures on this adapter, or null if it has no device here. */
    VideoMemoryInfo videoMemoryInfo(int pid) {
        try (AdapterState.Held held = adapter.read()) {
            return adapter.processes.containsKey(pid) ? residency.info(pid) : null;
        }
    }

    VideoMemoryInfo queryVideoMemoryInfo(long device) {
        try (AdapterState.Held held = adapter.read()) {
            return residency.info(adapter.deviceLocked(device).pid);
        }
    }

    List<Allocation> allocations() {
        try (AdapterState.Held held = adapter.read()) {
            List<Allocation> list = new ArrayList<>();
            for (AllocationState x : adapter.allocations.values()) {
                list.add(x.info());
            }
            return list;
        }
    }
}
