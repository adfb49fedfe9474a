package vidmm.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

import gpu.hw.GpuAdapter;
import gpu.hw.PciIdentity;
import os.memmgr.MemoryManager;
import vidmm.AdapterStatus;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * One adapter's bookkeeping, which its parts share: its identity and hardware, the locks that guard
 * the rest, its processes, devices, contexts and allocations, its fault log and its events. The parts
 * ({@link AdapterDrivers}, {@link Recovery}, {@link GpuWork}, {@link Display}) are each given this and
 * the parts they call, never the adapter that holds them all ({@link AdapterVidMm}).
 */
final class AdapterState {
    final int index;
    /** The IOMMU unit of each physical GPU of the adapter (two for a linked adapter). */
    final int[] iommuUnits;
    final int iommuUnit;
    /** The hardware, handed to a driver's AddDevice. */
    final GpuAdapter gpu;
    final MemoryManager mm;
    /**
     * The adapter's call order: held by whatever changes the adapter's objects, for the whole change
     * and so across its driver and OS calls; taken before {@link #lock}. Changes, and so DDIs, go one
     * at a time, as a driver expects them.
     */
    final ReentrantLock calls = new ReentrantLock();
    /**
     * The bookkeeping lock: guards the maps below and the states in them. A change holds it except
     * while it calls the driver or the OS ({@link #unlocked}; {@link DdiGuard} does it for every DDI),
     * so a reader ({@link #read}) never waits for a driver.
     */
    final ReentrantLock lock = new ReentrantLock();
    final FaultLog faults = new FaultLog();
    final Map<Integer, ProcessState> processes = new LinkedHashMap<>();
    /** The SubmissionFenceIds this adapter's nodes gave, and what each was given for. */
    final NodeFences nodeFences = new NodeFences();
    final Map<Long, DeviceState> devices = new LinkedHashMap<>();
    final Map<Long, ContextState> contexts = new LinkedHashMap<>();
    final Map<Long, AllocationState> allocations = new LinkedHashMap<>();
    /** Set when the adapter stops, under the lock: nothing is attached afterwards. */
    boolean stopped;
    private final BiConsumer<String, Supplier<Map<String, Object>>> events;
    private final java.util.function.IntConsumer fencesWritten;

    /**
     * {@code events} posts an event; its properties are built only when someone listens.
     * {@code fencesWritten} reads a process's monitored fences again (the GPU wrote one from a buffer).
     */
    AdapterState(int index, int[] iommuUnits, GpuAdapter gpu, MemoryManager mm,
                 BiConsumer<String, Supplier<Map<String, Object>>> events, java.util.function.IntConsumer fencesWritten) {
        this.index = index;
        this.iommuUnits = iommuUnits.clone();
        this.iommuUnit = iommuUnits[0];
        this.gpu = gpu;
        this.mm = mm;
        this.events = events;
        this.fencesWritten = fencesWritten;
    }

    /** DXGK_INTERRUPT_MONITORED_FENCE_SIGNALED of a context of process {@code pid}: its monitored fences are read again. */
    void fencesWritten(int pid) {
        fencesWritten.accept(pid);
    }

    /** A hold of the adapter's locks, released at the end of a try-with-resources block. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    private final Held changeHeld = () -> {
        lock.unlock();
        calls.unlock();
    };
    private final Held readHeld = lock::unlock;

    /** Enters the adapter to change it: its call order, then its lock. */
    Held change() {
        calls.lock();
        lock.lock();
        return changeHeld;
    }

    /** Enters the adapter to read its bookkeeping: its lock only, which no driver call holds. */
    Held read() {
        lock.lock();
        return readHeld;
    }

    /**
     * Runs {@code call}, part of a change, without the bookkeeping lock (the call order stays held, so
     * no other change runs meanwhile): for driver and OS calls, which may take long and may call
     * back. The lock is taken back, as often as it was held, before this returns.
     */
    <T> T unlocked(Supplier<T> call) {
        if (!calls.isHeldByCurrentThread()) {
            throw new AssertionError("a driver or OS call outside adapter " + index + "'s call order (a VidMm defect)");
        }
        int holds = lock.getHoldCount();
        for (int i = 0; i < holds; i++) {
            lock.unlock();
        }
        try {
            return call.get();
        } finally {
            for (int i = 0; i < holds; i++) {
                lock.lock();
            }
        }
    }

    /** An OS call of a change ({@link Calls#os}), without the bookkeeping lock. */
    <T> T os(Supplier<T> call) {
        return unlocked(() -> Calls.os(call));
    }

    /** An OS clean-up of a change ({@link Calls#quietly}), without the bookkeeping lock. */
    void osQuietly(Runnable cleanup) {
        unlocked(() -> {
            Calls.quietly(cleanup);
            return null;
        });
    }

    PciIdentity identity() {
        return gpu.identity();
    }

    AdapterStatus noDriver() {
        return new AdapterStatus(index, iommuUnit, AdapterStatus.State.STOPPED, null, "no kernel-mode driver is attached",
                null);
    }

    /** Posts an event of this adapter; {@code properties} is built only when someone listens (DDIs are a hot path). */
    void post(String topic, Supplier<Map<String, Object>> properties) {
        events.accept(topic, () -> {
            Map<String, Object> p = new java.util.HashMap<>(properties.get());
            p.put(vidmm.VidMmEvents.ADAPTER, index);
            return p;
        });
    }

    DeviceState deviceLocked(long handle) {
        DeviceState d = devices.get(handle);
        if (d == null) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no device has handle 0x" + Long.toHexString(handle));
        }
        return d;
    }

    ContextState contextLocked(long handle) {
        ContextState c = contexts.get(handle);
        if (c == null) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no context has handle 0x" + Long.toHexString(handle));
        }
        return c;
    }

    AllocationState allocationLocked(DeviceState d, long handle) {
        AllocationState a = d.allocations.get(handle);
        if (a == null) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "device 0x" + Long.toHexString(d.handle)
                    + " has no allocation 0x" + Long.toHexString(handle));
        }
        return a;
    }

    static void requireActive(DeviceState d) {
        if (d.closing()) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "device 0x" + Long.toHexString(d.handle)
                    + " is being destroyed");
        }
        if (!d.active()) {
            throw new VidMmException(VidMmStatus.DEVICE_IN_ERROR, "device 0x" + Long.toHexString(d.handle)
                    + " faulted and accepts no more work; destroy it and create another");
        }
    }
}
