package vidmm.internal;

import java.util.HashMap;
import java.util.Map;

import vidmm.GpuFault;
import vidmm.VidMmEvents;

/** The properties of the events VidMm posts (see {@link VidMmEvents}); the adapter's VidMm adds {@link VidMmEvents#ADAPTER}. */
final class VidMmEventProperties {
    private VidMmEventProperties() {
    }

    /** Key-value pairs; a null value (a driver without a name, say) is left out. */
    private static Map<String, Object> of(Object... keysAndValues) {
        Map<String, Object> p = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (keysAndValues[i + 1] != null) {
                p.put((String) keysAndValues[i], keysAndValues[i + 1]);
            }
        }
        return p;
    }

    static Map<String, Object> driver(String name, long serviceId, String refusal) {
        return of(VidMmEvents.DRIVER, name, VidMmEvents.SERVICE_ID, serviceId,
                VidMmEvents.REASON, refusal);
    }

    static Map<String, Object> fault(GpuFault f) {
        return of(VidMmEvents.DEVICE, f.device(), VidMmEvents.PID, f.pid(),
                VidMmEvents.PASID, f.pasid(), VidMmEvents.ENGINE, f.node() == null ? null : f.node().name(),
                VidMmEvents.VA, f.va(), VidMmEvents.REASON, f.reason(), VidMmEvents.OUTCOME, f.outcome());
    }

    static Map<String, Object> submission(long device, long context, int pid, int pasid, kmd.api.EngineNode node, long fence,
                                          Work work, long nanos) {
        return of(VidMmEvents.DEVICE, device, VidMmEvents.CONTEXT, context, VidMmEvents.PID, pid, VidMmEvents.PASID, pasid,
                VidMmEvents.ENGINE, node.name(), VidMmEvents.FENCE, fence, VidMmEvents.COMMANDS, work.kinds(),
                VidMmEvents.BYTES, work.bytes(), VidMmEvents.NANOS, nanos);
    }

    static Map<String, Object> completion(long device, long context, long fence) {
        return of(VidMmEvents.DEVICE, device, VidMmEvents.CONTEXT, context, VidMmEvents.FENCE, fence);
    }

    static Map<String, Object> ddi(String driver, String ddi, long nanos, long durationNanos) {
        return of(VidMmEvents.DRIVER, driver, VidMmEvents.DDI, ddi, VidMmEvents.NANOS, nanos,
                VidMmEvents.DURATION_NANOS, durationNanos);
    }

    static Map<String, Object> present(long device, int pid, long allocation, int source, long va) {
        return of(VidMmEvents.DEVICE, device, VidMmEvents.PID, pid,
                VidMmEvents.HANDLE, allocation, VidMmEvents.SOURCE, source, VidMmEvents.VA, va);
    }
}
