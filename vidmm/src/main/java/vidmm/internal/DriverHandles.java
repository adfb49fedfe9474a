package vidmm.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One driver attachment's handles: what the attached driver calls each process, device, context and
 * open allocation VidMm keeps (the hProcess, hDevice, hContext and hDeviceSpecificAllocation its
 * DxgkDdiCreateProcess, DxgkDdiCreateDevice, DxgkDdiCreateContext and DxgkDdiOpenAllocation returned),
 * and back from its context handles, which its interrupts name.
 * Every attachment starts with none, its replay and the calls made while it is attached fill them,
 * so an attachment that fails part way leaves nothing to undo in VidMm's objects. Written in the
 * adapter's call order; interrupts read it from engine threads.
 */
final class DriverHandles {
    private final Map<ProcessState, Long> processes = new ConcurrentHashMap<>();
    private final Map<DeviceState, Long> devices = new ConcurrentHashMap<>();
    private final Map<ContextState, Long> contexts = new ConcurrentHashMap<>();
    private final Map<Long, ContextState> byHandle = new ConcurrentHashMap<>();
    private final Map<AllocationState, Long> opens = new ConcurrentHashMap<>();

    long of(ProcessState p) {
        return known(processes.get(p), "process " + p.pid);
    }

    long of(DeviceState d) {
        return known(devices.get(d), "device 0x" + Long.toHexString(d.handle));
    }

    long of(ContextState c) {
        return known(contexts.get(c), "context 0x" + Long.toHexString(c.handle));
    }

    long of(AllocationState a) {
        return known(opens.get(a), "allocation 0x" + Long.toHexString(a.handle));
    }

    /** Whether the driver knows {@code c} (it was not destroyed meanwhile). */
    boolean knows(ContextState c) {
        return contexts.containsKey(c);
    }

    private static long known(Long handle, String what) {
        if (handle == null) {
            throw new IllegalStateException("the attached driver has no handle of " + what + " (a VidMm defect)");
        }
        return handle;
    }

    /** The context the driver knows as {@code kmdHandle}, or null. */
    ContextState context(long kmdHandle) {
        return byHandle.get(kmdHandle);
    }

    void put(ProcessState p, long kmdHandle) {
        processes.put(p, kmdHandle);
    }

    void put(DeviceState d, long kmdHandle) {
        devices.put(d, kmdHandle);
    }

    void put(ContextState c, long kmdHandle) {
        contexts.put(c, kmdHandle);
        byHandle.put(kmdHandle, c);
    }

    void put(AllocationState a, long hDeviceSpecificAllocation) {
        opens.put(a, hDeviceSpecificAllocation);
    }

    void remove(AllocationState a) {
        opens.remove(a);
    }

    void remove(ProcessState p) {
        processes.remove(p);
    }

    void remove(DeviceState d) {
        devices.remove(d);
    }

    void remove(ContextState c) {
        Long h = contexts.remove(c);
        if (h != null) {
            byHandle.remove(h, c);
        }
    }
}
