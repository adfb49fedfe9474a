package vidmm.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import gpu.hw.GpuAdapter;
import kmd.api.KernelModeDriver;
import os.memmgr.MemoryManager;
import vidmm.ProcessRegistration;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

import static vidmm.internal.Calls.ddi;
import static vidmm.internal.Calls.quietly;

/**
 * VidMm's state for one adapter and its parts: processes (registered with the adapter's IOMMU
 * units), devices and contexts, and their lifetimes here (create; close, drain without the locks,
 * cut off, destroy). Its parts work on the same state: driver binding ({@link AdapterDrivers}),
 * allocations and residency ({@link AdapterMemory}), submission ({@link GpuWork}), recovery
 * ({@link Recovery}) and display ({@link Display}). A change holds the adapter's call order ({@link
 * AdapterState#calls}), so the driver sees one call at a time, and its bookkeeping lock except while
 * it calls the driver or the OS.
 */
final class AdapterVidMm {
    /** What an adapter's VidMm needs of the whole VidMm: handles, PASIDs, shared allocations, events. */
    interface Kernel extends AdapterMemory.Shared {
        /** The process's PASID on {@code unit}, binding it on first use; counted per user. */
        int acquirePasid(int pid, int unit);

        void releasePasid(int pid, int unit);

        void deviceCreated(long handle, AdapterVidMm adapter);

        void deviceDestroyed(long handle);

        void contextCreated(long handle, AdapterVidMm adapter);

        void contextDestroyed(long handle);

        /** The GPU wrote a monitored fence of process {@code pid} from a command buffer: its objects read their values again. */
        void monitoredFencesWritten(int pid);

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
    final AdapterMemory memory;

    AdapterVidMm(int index, int[] iommuUnits, GpuAdapter gpu, MemoryManager mm, Kernel kernel, long budgetBytes,
                 TdrPolicy tdr) {
        this.state = new AdapterState(index, iommuUnits, gpu, mm, kernel::post, kernel::monitoredFencesWritten);
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
        this.pagingFence = new PagingFence(this::onWorker);
        this.drivers = new AdapterDrivers(state, pagingFence, new Hooks());
        this.recovery = new Recovery(state, drivers, tdr);
        this.work = new GpuWork(state, drivers, pagingFence, recovery);
        this.display = new Display(state, drivers, pagingFence);
        this.memory = new AdapterMemory(state, kernel, drivers, display, pagingFence, budgetBytes);
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
            memory.destroyLocked(a);
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

    /** How long a process's exit waits for its released primaries to be unmapped and unpinned. */
    static final long EXIT_UNPIN_MILLIS = 10_000;

    /**
     * The process exits: its devices take no more work, their work is waited for without the lock,
     * then they go; last, without the locks, the exit waits until none of its primaries is still
     * mapped in the aperture (a driver change may have made their unmap wait).
     */
    void processExiting(int pid) {
        boolean here;
        try (AdapterState.Held held = state.read()) { // most exits are of processes that never used this adapter
            here = processes.containsKey(pid);
        }
        if (here) {
            destroyDevicesOf(pid);
        }
        try { // the OS frees the process's frames next: none may still be mapped in the aperture, even one
              // of a device destroyed before (its unmap may still wait for a driver change)
            if (!display.awaitUnpinned(pid, EXIT_UNPIN_MILLIS)) {
                System.getLogger(AdapterVidMm.class.getName()).log(System.Logger.Level.WARNING, "process " + pid
                        + " exits while a primary of it may still be mapped in adapter " + index + "'s aperture (its unmap"
                        + " did not complete within " + EXIT_UNPIN_MILLIS / 1000 + " s)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The exiting process's devices take no more work, their work is waited for without the lock, then they go. */
    private void destroyDevicesOf(int pid) {
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
}
