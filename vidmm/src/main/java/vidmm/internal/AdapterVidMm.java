package vidmm.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import gpu.hw.GpuAdapter;
import kmd.api.AllocationDescription;
import kmd.api.AllocationFlag;
import kmd.api.AllocationRequest;
import kmd.api.KernelModeDriver;
import os.memmgr.AddressSpace;
import os.memmgr.MemoryManager;
import os.memmgr.PageProtection;
import vidmm.Allocation;
import vidmm.ProcessRegistration;
import vidmm.VidMmException;
import vidmm.VidMmStatus;
import vidmm.VideoMemoryInfo;

import static vidmm.internal.Calls.ddi;
import static vidmm.internal.Calls.quietly;

/**
 * VidMm's state for one adapter: its processes (registered with the adapter's IOMMU unit), devices
 * and allocations, and the calls on them. Driver binding ({@link AdapterDrivers}), submission and
 * recovery ({@link GpuWork}) and display ({@link Display}) work on the same state. A change holds the
 * adapter's call order ({@link AdapterState#calls}), so the driver sees one call at a time, and its
 * lock except while a driver call runs.
 */
final class AdapterVidMm {
    static final long MAX_ALLOCATION = AllocationState.MAX_ALLOCATION;

    /** What an adapter's VidMm needs of the whole VidMm: handles, PASIDs, shared allocations, events. */
    interface Kernel {
        long nextHandle();

        /** The process's PASID on {@code unit}, binding it on first use; counted per user. */
        int acquirePasid(int pid, int unit);

        void releasePasid(int pid, int unit);

        /** A shared allocation created on any adapter, by its shared handle, or null. */
        AllocationState shared(long sharedHandle);

        void sharedCreated(AllocationState a);

        void sharedDestroyed(AllocationState a);

        void deviceCreated(long handle, AdapterVidMm adapter);

        void deviceDestroyed(long handle);

        void contextCreated(long handle, AdapterVidMm adapter);

        void contextDestroyed(long handle);

        /** Posts an event; {@code properties} is only called when there is an Event Admin to post to. */
        void post(String topic, java.util.function.Supplier<Map<String, Object>> properties);
    }

    /** The bookkeeping the parts share; the fields below name its members, as every method here uses them. */
    final AdapterState state;
    final int index;
    final int[] iommuUnits;
    final GpuAdapter gpu;
    final MemoryManager mm;
    final Kernel kernel;
    final Residency residency;
    final FaultLog faults;
    /** Its tasks run on the adapter's worker thread ({@link GpuWork#later}). */
    final PagingFence pagingFence;
    final Map<Integer, ProcessState> processes;
    final Map<Long, DeviceState> devices;
    final Map<Long, ContextState> contexts;
    /** Devices created here so far: spreads shorthand contexts over a linked adapter's GPUs. */
    private long devicesCreated;
    final Map<Long, AllocationState> allocations;
    final AdapterDrivers drivers;
    final Recovery recovery;
    final GpuWork work;
    final Display display;

    AdapterVidMm(int index, int[] iommuUnits, GpuAdapter gpu, MemoryManager mm, Kernel kernel, long budgetBytes,
                 TdrPolicy tdr) {
        this.state = new AdapterState(index, iommuUnits, gpu, mm, kernel::post);
        this.index = index;
        this.iommuUnits = state.iommuUnits;
        this.gpu = gpu;
        this.mm = mm;
        this.kernel = kernel;
        this.faults = state.faults;
        this.processes = state.processes;
        this.devices = state.devices;
        this.contexts = state.contexts;
        this.allocations = state.allocations;
        this.residency = new Residency(mm, budgetBytes);
        this.pagingFence = new PagingFence(this::onWorker);
        this.drivers = new AdapterDrivers(state, pagingFence, new Hooks());
        this.recovery = new Recovery(state, drivers, tdr);
        this.work = new GpuWork(state, drivers, pagingFence, recovery);
        this.display = new Display(state, drivers, pagingFence);
    }

    /** A task a paging fence made due: on the adapter's worker, under the lock. */
    private void onWorker(Runnable task) {
        work.later(task);
    }

    /** What a change of driver asks of the adapter's other parts. */
    private final class Hooks implements DriverHooks {
        @Override
        public long ddiDelayMillis() {
            return recovery.ddiDelayMillis();
        }

        @Override
        public void driverHung(DdiGuard guard, String ddi) {
            recovery.driverHung(guard, ddi);
        }

        @Override
        public void attached() {
            recovery.attached();
        }

        @Override
        public void interrupt(kmd.api.callbacks.InterruptNotification n) {
            work.interrupt(n);
        }

        @Override
        public void releaseHeldLocked(ContextState c) {
            work.releaseHeldLocked(c);
        }

        @Override
        public void resubmitDueLocked(boolean calledOff) {
            recovery.resubmitDueLocked(calledOff);
        }

        @Override
        public void reserveShownIn(ApertureSpace space) {
            display.reserveShownIn(space);
        }

        @Override
        public long replayDisplayLocked() {
            return display.replayLocked();
        }

        @Override
        public void pointReplayedLocked() {
            display.pointReplayedLocked();
        }

        @Override
        public void unmapDueLocked() {
            display.unmapDueLocked();
        }
    }

    /** The attached driver context (seen through {@link DdiTracing}), or null: {@link AdapterDrivers}' attachment. */
    KernelModeDriver kmd() {
        return drivers.kmd();
    }

    /** Destroys every device (returning its memory and PASID) and detaches the driver. */
    void stop() {
        List<ContextState> draining = new ArrayList<>();
        try (AdapterState.Held held = state.change()) {
            state.stopped = true;
            display.blankAll();
            for (DeviceState d : devices.values()) {
                draining.addAll(d.close());
            }
        }
        GpuWork.awaitIdle(draining); // without the lock
        try (AdapterState.Held held = state.change()) {
            for (DeviceState d : new ArrayList<>(devices.values())) {
                destroyDeviceLocked(d);
            }
            if (kmd() != null) {
                drivers.detachLocked();
            }
        }
        recovery.stop();
        work.stop();
    }

    // ---- checks ----

    void requireStarted() {
        drivers.requireStarted();
    }

    DeviceState deviceLocked(long handle) {
        return state.deviceLocked(handle);
    }

    AllocationState allocationLocked(DeviceState d, long handle) {
        return state.allocationLocked(d, handle);
    }

    // ---- devices and process registration ----

    long createDevice(int pid) {
        try (AdapterState.Held held = state.change()) {
            requireStarted();
            state.os(() -> mm.addressSpace(pid));
            ProcessState process = processes.get(pid);
            boolean first = process == null;
            if (first) {
                int[] pasids = new int[iommuUnits.length];
                int bound = 0;
                long hProcess;
                try {
                    for (; bound < iommuUnits.length; bound++) {
                        int unit = iommuUnits[bound];
                        pasids[bound] = state.os(() -> kernel.acquirePasid(pid, unit));
                    }
                    hProcess = ddi("DxgkDdiCreateProcess", () -> kmd().createProcess(pid, pasids.clone()));
                } catch (VidMmException e) {
                    for (int i = 0; i < bound; i++) {
                        int unit = iommuUnits[i];
                        state.osQuietly(() -> kernel.releasePasid(pid, unit));
                    }
                    throw e;
                }
                process = new ProcessState(pid, pasids);
                drivers.handles().put(process, hProcess);
            }
            ProcessState p = process;
            long hDevice;
            try {
                hDevice = ddi("DxgkDdiCreateDevice", () -> kmd().createDevice(drivers.handles().of(p), p.pasid));
            } catch (VidMmException e) {
                if (first) {
                    unregisterLocked(p);
                }
                throw e;
            }
            processes.put(pid, p);
            DeviceState d = new DeviceState(kernel.nextHandle(), pid, p.pasid, index,
                    (int) (devicesCreated++ % iommuUnits.length));
            drivers.handles().put(d, hDevice);
            devices.put(d.handle, d);
            p.devices.add(d.handle);
            kernel.deviceCreated(d.handle, this);
            return d.handle;
        }
    }

    private void unregisterLocked(ProcessState p) {
        DriverHandles h = drivers.handles();
        if (h != null) {
            quietly(() -> kmd().destroyProcess(h.of(p)));
            h.remove(p);
        }
        for (int unit : iommuUnits) {
            state.osQuietly(() -> kernel.releasePasid(p.pid, unit));
        }
        processes.remove(p.pid);
    }

    /**
     * Destroys a device: it takes no more work at once; its contexts' work is waited for without
     * the lock (up to two seconds, other calls on the adapter go on meanwhile), then cut off if
     * still queued, and only then its memory and, with its process's last device, its PASID go.
     */
    void destroyDevice(long device) {
        List<ContextState> draining;
        try (AdapterState.Held held = state.change()) {
            DeviceState d = deviceLocked(device);
            if (d.closing()) {
                throw new VidMmException(VidMmStatus.INVALID_HANDLE, "device 0x" + Long.toHexString(device)
                        + " is being destroyed already");
            }
            draining = d.close();
        }
        GpuWork.awaitIdle(draining);
        try (AdapterState.Held held = state.change()) {
            DeviceState d = devices.get(device);
            if (d != null) {
                destroyDeviceLocked(d);
            }
        }
    }

    /** Destroys a device whose work the caller waited for: what is still queued is cut off, nothing is waited for. */
    void destroyDeviceLocked(DeviceState d) {
        d.close();
        recovery.cutOffLocked(d.contexts());
        display.blankShowing(d);
        List<AllocationState> all = new ArrayList<>(d.allocations.values());
        all.sort(Comparator.comparing(a -> a.owner)); // opened ones first
        for (AllocationState a : all) {
            destroyAllocationLocked(a);
        }
        for (ContextState c : d.contexts()) {
            destroyContextLocked(c); // cut off: nothing of it is queued
        }
        DriverHandles h = drivers.handles();
        if (h != null) {
            quietly(() -> kmd().destroyDevice(h.of(d)));
            h.remove(d);
        }
        devices.remove(d.handle);
        kernel.deviceDestroyed(d.handle);
        ProcessState p = processes.get(d.pid);
        p.devices.remove(d.handle);
        if (p.devices.isEmpty()) {
            unregisterLocked(p);
        }
    }

    // ---- contexts ----

    /** D3DKMTCreateContext: DxgkDdiCreateContext on the device's node and physical GPU. */
    long createContext(long device, kmd.api.EngineNode node, int gpu) {
        java.util.Objects.requireNonNull(node, "engine node");
        try (AdapterState.Held held = state.change()) {
            requireStarted();
            DeviceState d = deviceLocked(device);
            AdapterState.requireActive(d);
            if (gpu < 0 || gpu >= iommuUnits.length) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "adapter " + index + " has physical GPUs 0.."
                        + (iommuUnits.length - 1) + ", not " + gpu);
            }
            long hContext = ddi("DxgkDdiCreateContext", () -> kmd().createContext(drivers.handles().of(d), node, gpu));
            ContextState c = new ContextState(kernel.nextHandle(), d, node, gpu);
            contexts.put(c.handle, c);
            drivers.contextCreated(c, hContext);
            d.added(c);
            kernel.contextCreated(c.handle, this);
            return c.handle;
        }
    }

    /** The device's first context on {@code node} (its shorthand context), created on first use. */
    long defaultContext(long device, kmd.api.EngineNode node) {
        try (AdapterState.Held held = state.change()) {
            DeviceState d = deviceLocked(device);
            for (ContextState c : d.contexts()) {
                if (c.node == node && c.gpu == d.defaultGpu) {
                    return c.handle;
                }
            }
            return createContext(device, node, d.defaultGpu);
        }
    }

    /**
     * D3DKMTDestroyContext: it takes no more work at once (its handle is gone); its work is waited
     * for without the lock (up to two seconds), then cut off if still queued.
     */
    void destroyContext(long context) {
        ContextState c;
        try (AdapterState.Held held = state.change()) {
            c = state.contextLocked(context);
            contexts.remove(context); // no new submission finds it; its interrupts still do (AdapterDrivers.contextOf)
        }
        GpuWork.awaitIdle(List.of(c));
        try (AdapterState.Held held = state.change()) {
            if (c.device.contexts().contains(c)) {
                recovery.cutOffLocked(List.of(c));
                destroyContextLocked(c);
            }
        }
    }

    private void destroyContextLocked(ContextState c) {
        DriverHandles h = drivers.handles();
        if (h != null) {
            quietly(() -> kmd().destroyContext(h.of(c)));
        }
        contexts.remove(c.handle);
        drivers.contextGone(c);
        c.device.removed(c);
        c.fault(); // a late waiter is not left waiting
        kernel.contextDestroyed(c.handle);
    }

    /** The process exits: its devices take no more work, their work is waited for without the lock, then they go. */
    void processExiting(int pid) {
        List<ContextState> draining = new ArrayList<>();
        try (AdapterState.Held held = state.change()) {
            ProcessState p = processes.get(pid);
            if (p == null) {
                return;
            }
            for (Long device : p.devices) {
                draining.addAll(devices.get(device).close());
            }
        }
        GpuWork.awaitIdle(draining);
        try (AdapterState.Held held = state.change()) {
            ProcessState p = processes.get(pid);
            if (p != null) {
                for (Long device : new ArrayList<>(p.devices)) {
                    destroyDeviceLocked(devices.get(device));
                }
            }
        }
    }

    // ---- allocations ----

    Allocation allocate(long device, long size, Set<AllocationFlag> flags) {
        try (AdapterState.Held held = state.change()) {
            requireStarted();
            DeviceState d = deviceLocked(device);
            AdapterState.requireActive(d);
            if (size <= 0 || size > MAX_ALLOCATION) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "allocation size must be 1.." + MAX_ALLOCATION
                        + " bytes, not " + size);
            }
            AllocationRequest request = new AllocationRequest(size, flags);
            AllocationDescription described = ddi("DxgkDdiCreateAllocation", () -> kmd().createAllocation(drivers.handles().of(d), request));
            AllocationState.checkDescription(request, described);
            // VidMm backs whole pages: a driver's odd size is rounded up, as the memory manager would
            AllocationDescription desc = new AllocationDescription((described.size() + 4095) & ~4095L, described.alignment(),
                    described.preferredSegment(), described.flags());
            boolean shared = desc.flags().contains(AllocationFlag.SHARED);
            AddressSpace space = state.os(() -> mm.addressSpace(d.pid));
            long section = shared ? state.os(() -> mm.createSection(desc.size())) : 0;
            long va;
            try {
                va = state.os(() -> shared ? space.mapSection(section, PageProtection.READWRITE)
                        : space.allocate(desc.size(), PageProtection.READWRITE));
            } catch (VidMmException e) {
                if (shared) {
                    state.osQuietly(() -> mm.closeSection(section));
                }
                throw e;
            }
            long handle = kernel.nextHandle();
            AllocationState a = new AllocationState(handle, d, va, desc.size(), desc.flags(), section,
                    shared ? handle : 0, true);
            try {
                ddi("DxgkDdiOpenAllocation", () -> kmd().openAllocation(drivers.handles().of(d), handle, va, desc.size()));
            } catch (VidMmException e) {
                quietly(() -> kmd().destroyAllocation(handle));
                state.osQuietly(() -> space.release(va));
                if (shared) {
                    state.osQuietly(() -> mm.closeSection(section));
                }
                throw e;
            }
            d.allocations.put(handle, a);
            allocations.put(handle, a);
            if (shared) {
                kernel.sharedCreated(a);
            }
            return a.info();
        }
    }

    /** Opens a shared allocation (created on this adapter or another) in the device's process. */
    Allocation openShared(long device, long sharedHandle) {
        try (AdapterState.Held held = state.change()) {
            requireStarted();
            DeviceState d = deviceLocked(device);
            AdapterState.requireActive(d);
            AllocationState source = kernel.shared(sharedHandle);
            AllocationState here = allocations.get(sharedHandle);
            if (source == null && here != null && here.owner) {
                throw new VidMmException(VidMmStatus.NOT_SHARED, "allocation 0x" + Long.toHexString(sharedHandle)
                        + " was not created SHARED");
            }
            if (source == null) {
                throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no shared allocation has handle 0x"
                        + Long.toHexString(sharedHandle));
            }
            AddressSpace space = state.os(() -> mm.addressSpace(d.pid));
            long va = state.os(() -> space.mapSection(source.section, PageProtection.READWRITE));
            long handle = kernel.nextHandle();
            AllocationState a = new AllocationState(handle, d, va, source.size, source.flags, source.section,
                    source.handle, false);
            try {
                ddi("DxgkDdiOpenAllocation", () -> kmd().openAllocation(drivers.handles().of(d), handle, va, source.size));
            } catch (VidMmException e) {
                state.osQuietly(() -> space.release(va));
                throw e;
            }
            d.allocations.put(handle, a);
            allocations.put(handle, a);
            return a.info();
        }
    }

    void destroyAllocation(long device, long allocation) {
        try (AdapterState.Held held = state.change()) {
            DeviceState d = deviceLocked(device);
            AllocationState a = allocationLocked(d, allocation);
            display.refuseIfShown(a);
            destroyAllocationLocked(a);
        }
    }

    private void destroyAllocationLocked(AllocationState a) {
        DeviceState d = a.device;
        if (a.pin != null) {
            residency.unpin(a);
        }
        if (kmd() != null) {
            quietly(() -> kmd().closeAllocation(drivers.handles().of(d), a.handle));
            if (a.owner) {
                quietly(() -> kmd().destroyAllocation(a.handle));
            }
        }
        state.osQuietly(() -> mm.addressSpace(d.pid).release(a.va));
        if (a.owner && a.section != 0) {
            kernel.sharedDestroyed(a);
            state.osQuietly(() -> mm.closeSection(a.section));
        }
        d.allocations.remove(a.handle);
        d.evictedForBudget.remove(a.handle);
        allocations.remove(a.handle);
    }

    // ---- residency ----

    long makeResident(long device, List<Long> handles) {
        try (AdapterState.Held held = state.change()) {
            requireStarted();
            DeviceState d = deviceLocked(device);
            List<AllocationState> list = new ArrayList<>();
            for (long h : handles) {
                list.add(allocationLocked(d, h));
            }
            residency.makeResident(d, list, allocations.values(), display.shown());
            long fence = pagingFence.next();
            pagingFence.completed(fence); // pinning is synchronous in the IoMmu model
            return fence;
        }
    }

    void evict(long device, List<Long> handles) {
        try (AdapterState.Held held = state.change()) {
            DeviceState d = deviceLocked(device);
            List<AllocationState> list = new ArrayList<>();
            for (long h : handles) {
                list.add(allocationLocked(d, h));
            }
            residency.evict(list);
        }
    }

    /** The process's figures on this adapter, or null if it has no device here. */
    VideoMemoryInfo videoMemoryInfo(int pid) {
        try (AdapterState.Held held = state.read()) {
            return processes.containsKey(pid) ? residency.info(pid, List.of()) : null;
        }
    }

    /** {@link Residency#trim} of {@code pid} on this adapter; 0 if it has no device here. */
    long trim(int pid, long target) {
        try (AdapterState.Held held = state.change()) {
            return processes.containsKey(pid) ? residency.trim(pid, target, allocations.values(), display.shown()) : 0;
        }
    }

    VideoMemoryInfo queryVideoMemoryInfo(long device) {
        try (AdapterState.Held held = state.change()) {
            DeviceState d = deviceLocked(device);
            List<Long> evicted = new ArrayList<>(d.evictedForBudget);
            d.evictedForBudget.clear();
            return residency.info(d.pid, evicted);
        }
    }

    // ---- queries ----

    List<ProcessRegistration> processes() {
        try (AdapterState.Held held = state.read()) {
            List<ProcessRegistration> list = new ArrayList<>();
            for (ProcessState p : processes.values()) {
                for (int g = 0; g < iommuUnits.length; g++) {
                    list.add(new ProcessRegistration(p.pid, p.pasids[g], p.devices, index, iommuUnits[g]));
                }
            }
            return list;
        }
    }

    List<Allocation> allocations() {
        try (AdapterState.Held held = state.read()) {
            List<Allocation> list = new ArrayList<>();
            for (AllocationState a : allocations.values()) {
                list.add(a.info());
            }
            return list;
        }
    }
}
