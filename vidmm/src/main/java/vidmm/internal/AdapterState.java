package vidmm.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

import gpu.hw.GpuAdapter;
import gpu.hw.PciIdentity;
import os.memmgr.MemoryManager;
import vidmm.AdapterStatus;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * One adapter's bookkeeping, which its parts share: its identity and hardware, the lock that guards
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
    final Object lock = new Object();
    final FaultLog faults = new FaultLog();
    final Map<Integer, ProcessState> processes = new LinkedHashMap<>();
    final Map<Long, DeviceState> devices = new LinkedHashMap<>();
    final Map<Long, ContextState> contexts = new LinkedHashMap<>();
    final Map<Long, AllocationState> allocations = new LinkedHashMap<>();
    /** Set when the adapter stops, under the lock: nothing is attached afterwards. */
    boolean stopped;
    private final BiConsumer<String, Supplier<Map<String, Object>>> events;

    /** {@code events} posts an event; its properties are built only when someone listens. */
    AdapterState(int index, int[] iommuUnits, GpuAdapter gpu, MemoryManager mm,
                 BiConsumer<String, Supplier<Map<String, Object>>> events) {
        this.index = index;
        this.iommuUnits = iommuUnits.clone();
        this.iommuUnit = iommuUnits[0];
        this.gpu = gpu;
        this.mm = mm;
        this.events = events;
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
