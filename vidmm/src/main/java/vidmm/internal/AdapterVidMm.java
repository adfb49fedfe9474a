package vidmm.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import gpu.hw.GpuAdapter;
import kmd.api.KernelModeDriver;
import os.memmgr.MemoryManager;
import vidmm.ProcessRegistration;

/**
 * VidMm for one adapter: its bookkeeping ({@link AdapterState}) and the parts that work on it, each
 * given the state and the parts it calls: the driver in the seat ({@link DriverSeat}) and its change
 * ({@link AdapterDrivers}), processes, devices and contexts from creation to retirement ({@link
 * Lifetimes}), allocations and residency ({@link AdapterMemory}), submission ({@link GpuWork}), recovery
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
    final Map<Long, AllocationState> allocations;
    final DriverSeat seat;
    final AdapterDrivers drivers;
    final Recovery recovery;
    final GpuWork work;
    final Display display;
    final AdapterMemory memory;
    private final Lifetimes lifetimes;

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
        Hooks hooks = new Hooks();
        this.seat = new DriverSeat(state, pagingFence, hooks);
        this.drivers = new AdapterDrivers(state, seat, hooks);
        this.recovery = new Recovery(state, seat, drivers::changing, tdr);
        this.work = new GpuWork(state, seat, pagingFence, recovery);
        this.display = new Display(state, seat, drivers, pagingFence);
        this.memory = new AdapterMemory(state, kernel, seat, display, pagingFence, budgetBytes);
        this.lifetimes = new Lifetimes(state, new Registry(), seat, drivers, recovery, display, memory);
    }

    /** A task a paging fence made due: on the adapter's worker, under the lock. */
    private void onWorker(Runnable task) {
        work.later(task);
    }

    /** What the whole VidMm is told of this adapter's devices and contexts. */
    private final class Registry implements Lifetimes.Registry {
        @Override
        public int acquirePasid(int pid, int unit) {
            return kernel.acquirePasid(pid, unit);
        }

        @Override
        public void releasePasid(int pid, int unit) {
            kernel.releasePasid(pid, unit);
        }

        @Override
        public long nextHandle() {
            return kernel.nextHandle();
        }

        @Override
        public void deviceCreated(long handle) {
            kernel.deviceCreated(handle, AdapterVidMm.this);
        }

        @Override
        public void deviceDestroyed(long handle) {
            kernel.deviceDestroyed(handle);
        }

        @Override
        public void contextCreated(long handle) {
            kernel.contextCreated(handle, AdapterVidMm.this);
        }

        @Override
        public void contextDestroyed(long handle) {
            kernel.contextDestroyed(handle);
        }
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
        return seat.kmd();
    }

    /** Destroys every device (returning its memory and PASID) and detaches the driver. */
    void stop() {
        lifetimes.stop();
        recovery.stop();
        work.stop();
    }

    long createDevice(int pid) {
        return lifetimes.createDevice(pid);
    }

    void destroyDevice(long device) {
        lifetimes.destroyDevice(device);
    }

    long createContext(long device, kmd.api.EngineNode node, int gpu) {
        return lifetimes.createContext(device, node, gpu);
    }

    long defaultContext(long device, kmd.api.EngineNode node) {
        return lifetimes.defaultContext(device, node);
    }

    void destroyContext(long context) {
        lifetimes.destroyContext(context);
    }

    void processExiting(int pid) {
        lifetimes.processExiting(pid);
    }

    DeviceState deviceLocked(long handle) {
        return state.deviceLocked(handle);
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
