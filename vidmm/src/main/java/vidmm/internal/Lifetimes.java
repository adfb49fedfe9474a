package vidmm.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

import static vidmm.internal.Calls.ddi;
import static vidmm.internal.Calls.quietly;

/**
 * The lifetimes of one adapter's processes (registered with its IOMMU units), devices and contexts:
 * create, and the one way each goes ({@link #retire}): close (no more work), drain without the
 * locks, cut off what is still queued, destroy. Creations and destructions are told to the whole
 * VidMm ({@link Registry}), which routes handles to adapters.
 */
final class Lifetimes {
    /** What the whole VidMm is told of this adapter's devices and contexts, and the PASIDs it counts. */
    interface Registry {
        int acquirePasid(int pid, int unit);

        void releasePasid(int pid, int unit);

        long nextHandle();

        void deviceCreated(long handle);

        void deviceDestroyed(long handle);

        void contextCreated(long handle);

        void contextDestroyed(long handle);
    }

    /** How long a process's exit waits for its released primaries to be unmapped and unpinned. */
    static final long EXIT_UNPIN_MILLIS = 10_000;

    private final AdapterState a;
    private final Registry registry;
    private final DriverSeat seat;
    private final AdapterDrivers drivers;
    private final Recovery recovery;
    private final Display display;
    private final AdapterMemory memory;
    /** Devices created here so far: spreads shorthand contexts over a linked adapter's GPUs. */
    private long devicesCreated;

    Lifetimes(AdapterState adapter, Registry registry, DriverSeat seat, AdapterDrivers drivers, Recovery recovery,
              Display display, AdapterMemory memory) {
        this.a = adapter;
        this.registry = registry;
        this.seat = seat;
        this.drivers = drivers;
        this.recovery = recovery;
        this.display = display;
        this.memory = memory;
    }

    private KernelModeDriver kmd() {
        return seat.kmd();
    }

    /**
     * The one close / drain / cut-off protocol: in one change, {@code close} stops what it names
     * taking work and returns the contexts whose work is to be waited for; that work is waited for
     * without the adapter's locks (up to two seconds; other calls on the adapter go on meanwhile);
     * then, in a second change, {@code destroy} (given those contexts) cuts off what is still queued
     * and destroys.
     */
    private void retire(Supplier<List<ContextState>> close, Consumer<List<ContextState>> destroy) {
        List<ContextState> draining;
        try (AdapterState.Held held = a.change()) {
            draining = close.get();
        }
        GpuWork.awaitIdle(draining);
        try (AdapterState.Held held = a.change()) {
            destroy.accept(draining);
        }
    }

    /** The adapter stops: every device is retired (its memory and PASID returned), then the driver detached. */
    void stop() {
        retire(() -> {
            a.stopped = true;
            display.blankAll();
            List<ContextState> draining = new ArrayList<>();
            for (DeviceState d : a.devices.values()) {
                draining.addAll(d.close());
            }
            return draining;
        }, drained -> {
            for (DeviceState d : new ArrayList<>(a.devices.values())) {
                destroyDeviceLocked(d);
            }
            if (kmd() != null) {
                seat.detachLocked();
            }
        });
    }

    // ---- devices and process registration ----

    /** D3DKMTCreateDevice: the process is registered (its PASIDs, DxgkDdiCreateProcess) with its first device. */
    long createDevice(int pid) {
        try (AdapterState.Held held = a.change()) {
            seat.requireStarted();
            a.os(() -> a.mm.addressSpace(pid));
            ProcessState process = a.processes.get(pid);
            boolean first = process == null;
            if (first) {
                process = registerLocked(pid);
            }
            ProcessState p = process;
            long hDevice;
            try {
                hDevice = ddi("DxgkDdiCreateDevice", () -> kmd().createDevice(seat.handles().of(p), p.pasid));
            } catch (VidMmException e) {
                if (first) {
                    unregisterLocked(p);
                }
                throw e;
            }
            a.processes.put(pid, p);
            DeviceState d = new DeviceState(registry.nextHandle(), pid, p.pasid, a.index,
                    (int) (devicesCreated++ % a.iommuUnits.length));
            seat.handles().put(d, hDevice);
            a.devices.put(d.handle, d);
            p.devices.add(d.handle);
            registry.deviceCreated(d.handle);
            return d.handle;
        }
    }

    /** A process's PASID on each of the adapter's units, then DxgkDdiCreateProcess; nothing is kept if either fails. */
    private ProcessState registerLocked(int pid) {
        int[] units = a.iommuUnits;
        int[] pasids = new int[units.length];
        int bound = 0;
        long hProcess;
        try {
            for (; bound < units.length; bound++) {
                int unit = units[bound];
                pasids[bound] = a.os(() -> registry.acquirePasid(pid, unit));
            }
            hProcess = ddi("DxgkDdiCreateProcess", () -> kmd().createProcess(pid, pasids.clone()));
        } catch (VidMmException e) {
            for (int i = 0; i < bound; i++) {
                int unit = units[i];
                a.osQuietly(() -> registry.releasePasid(pid, unit));
            }
            throw e;
        }
        ProcessState process = new ProcessState(pid, pasids);
        seat.handles().put(process, hProcess);
        return process;
    }

    private void unregisterLocked(ProcessState p) {
        DriverHandles h = seat.handles();
        if (h != null) {
            quietly(() -> kmd().destroyProcess(h.of(p)));
            h.remove(p);
        }
        for (int unit : a.iommuUnits) {
            a.osQuietly(() -> registry.releasePasid(p.pid, unit));
        }
        a.processes.remove(p.pid);
    }

    /**
     * D3DKMTDestroyDevice, retired: its memory and, with its process's last device, its PASID go
     * only once its contexts' work finished or was cut off.
     */
    void destroyDevice(long device) {
        retire(() -> {
            DeviceState d = a.deviceLocked(device);
            if (d.closing()) {
                throw new VidMmException(VidMmStatus.INVALID_HANDLE, "device 0x" + Long.toHexString(device)
                        + " is being destroyed already");
            }
            return d.close();
        }, drained -> {
            DeviceState d = a.devices.get(device);
            if (d != null) {
                destroyDeviceLocked(d);
            }
        });
    }

    /** Destroys a device whose work the caller waited for: what is still queued is cut off, nothing is waited for. */
    private void destroyDeviceLocked(DeviceState d) {
        d.close();
        recovery.cutOffLocked(d.contexts());
        display.blankShowing(d);
        List<AllocationState> all = new ArrayList<>(d.allocations.values());
        all.sort(Comparator.comparing(x -> x.owner)); // opened ones first
        for (AllocationState x : all) {
            memory.destroyLocked(x);
        }
        for (ContextState c : d.contexts()) {
            destroyContextLocked(c); // cut off: nothing of it is queued
        }
        DriverHandles h = seat.handles();
        if (h != null) {
            quietly(() -> kmd().destroyDevice(h.of(d)));
            h.remove(d);
        }
        a.devices.remove(d.handle);
        registry.deviceDestroyed(d.handle);
        ProcessState p = a.processes.get(d.pid);
        p.devices.remove(d.handle);
        if (p.devices.isEmpty()) {
            unregisterLocked(p);
        }
    }

    // ---- contexts ----

    /** D3DKMTCreateContext: DxgkDdiCreateContext on the device's node and physical GPU. */
    long createContext(long device, EngineNode node, int gpu) {
        java.util.Objects.requireNonNull(node, "engine node");
        try (AdapterState.Held held = a.change()) {
            seat.requireStarted();
            DeviceState d = a.deviceLocked(device);
            AdapterState.requireActive(d);
            if (gpu < 0 || gpu >= a.iommuUnits.length) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "adapter " + a.index + " has physical GPUs 0.."
                        + (a.iommuUnits.length - 1) + ", not " + gpu);
            }
            long hContext = ddi("DxgkDdiCreateContext", () -> kmd().createContext(seat.handles().of(d), node.nodeOrdinal(), 1 << gpu));
            ContextState c = new ContextState(registry.nextHandle(), d, node, gpu);
            a.contexts.put(c.handle, c);
            drivers.contextCreated(c, hContext);
            d.added(c);
            registry.contextCreated(c.handle);
            return c.handle;
        }
    }

    /** The device's first context on {@code node} (its shorthand context), created on first use. */
    long defaultContext(long device, EngineNode node) {
        try (AdapterState.Held held = a.change()) {
            DeviceState d = a.deviceLocked(device);
            for (ContextState c : d.contexts()) {
                if (c.node == node && c.gpu == d.defaultGpu) {
                    return c.handle;
                }
            }
            return createContext(device, node, d.defaultGpu);
        }
    }

    /** D3DKMTDestroyContext, retired: its handle is gone at once (no new submission finds it). */
    void destroyContext(long context) {
        retire(() -> {
            ContextState c = a.contextLocked(context);
            a.contexts.remove(context); // its interrupts still find it (DriverSeat.contextOf)
            return List.of(c);
        }, drained -> {
            ContextState c = drained.get(0);
            if (c.device.contexts().contains(c)) {
                recovery.cutOffLocked(drained);
                destroyContextLocked(c);
            }
        });
    }

    private void destroyContextLocked(ContextState c) {
        DriverHandles h = seat.handles();
        if (h != null) {
            quietly(() -> kmd().destroyContext(h.of(c)));
        }
        a.contexts.remove(c.handle);
        drivers.contextGone(c);
        c.device.removed(c);
        c.fault(); // a late waiter is not left waiting
        registry.contextDestroyed(c.handle);
    }

    // ---- process exit ----

    /**
     * The process exits: its devices are retired; last, without the locks, the exit waits until none
     * of its primaries is still mapped in the aperture (a driver change may have made their unmap wait).
     */
    void processExiting(int pid) {
        boolean here;
        try (AdapterState.Held held = a.read()) { // most exits are of processes that never used this adapter
            here = a.processes.containsKey(pid);
        }
        if (here) {
            retire(() -> {
                List<ContextState> draining = new ArrayList<>();
                ProcessState p = a.processes.get(pid);
                if (p != null) {
                    for (Long device : p.devices) {
                        draining.addAll(a.devices.get(device).close());
                    }
                }
                return draining;
            }, drained -> {
                ProcessState p = a.processes.get(pid);
                if (p != null) {
                    for (Long device : new ArrayList<>(p.devices)) {
                        destroyDeviceLocked(a.devices.get(device));
                    }
                }
            });
        }
        try { // the OS frees the process's frames next: none may still be mapped in the aperture, even one
              // of a device destroyed before (its unmap may still wait for a driver change)
            if (!display.awaitUnpinned(pid, EXIT_UNPIN_MILLIS)) {
                System.getLogger(Lifetimes.class.getName()).log(System.Logger.Level.WARNING, "process " + pid
                        + " exits while a primary of it may still be mapped in adapter " + a.index + "'s aperture (its"
                        + " unmap did not complete within " + EXIT_UNPIN_MILLIS / 1000 + " s)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
