package vidmm;

/** The Event Admin topics VidMm posts (asynchronously, when an Event Admin is present). */
public final class VidMmEvents {
    /** A GPU page fault: {@link #ADAPTER}, {@link #DEVICE}, {@link #PID}, {@link #PASID}, {@link #ENGINE}, {@link #VA}, {@link #REASON}. */
    public static final String GPU_FAULT = "vidmm/GPU_FAULT";
    /** A faulted engine was recovered: as {@link #GPU_FAULT}, with {@link #OUTCOME} (engine or adapter reset). */
    public static final String ENGINE_RESET = "vidmm/ENGINE_RESET";
    /** A submission timed out (TDR): as {@link #GPU_FAULT}, {@link #REASON} starting with TIMEOUT, {@link #OUTCOME}. */
    public static final String TIMEOUT = "vidmm/TIMEOUT";
    /** A kernel-mode driver was started and VidMm's state replayed to it: {@link #ADAPTER}, {@link #DRIVER}, {@link #SERVICE_ID}. */
    public static final String DRIVER_ATTACHED = "vidmm/DRIVER_ATTACHED";
    /** The attached driver was quiesced and stopped: {@link #ADAPTER}, {@link #DRIVER}, {@link #SERVICE_ID}. */
    public static final String DRIVER_DETACHED = "vidmm/DRIVER_DETACHED";
    /** A driver was refused: {@link #ADAPTER}, {@link #DRIVER}, {@link #SERVICE_ID}, {@link #REASON}. */
    public static final String DRIVER_REFUSED = "vidmm/DRIVER_REFUSED";
    /** A primary is on screen: {@link #ADAPTER}, {@link #DEVICE}, {@link #PID}, {@link #HANDLE} (the allocation), {@link #SOURCE}, {@link #VA}. */
    public static final String PRESENT = "display/PRESENT";
    /** A submission went to the driver: {@link #ADAPTER}, {@link #DEVICE}, {@link #CONTEXT}, {@link #PID}, {@link #PASID}, {@link #ENGINE}, {@link #FENCE}, {@link #COMMANDS} (kinds, comma separated), {@link #BYTES}. */
    public static final String SUBMIT = "vidmm/SUBMIT";
    /**
     * A context's fence completed (its submissions up to it are done; fences are per context):
     * {@link #ADAPTER}, {@link #DEVICE}, {@link #CONTEXT}, {@link #FENCE}.
     */
    public static final String FENCE_COMPLETED = "vidmm/FENCE_COMPLETED";
    /** A DDI call returned (or threw): {@link #ADAPTER}, {@link #DRIVER}, {@link #DDI}, {@link #NANOS} (its start), {@link #DURATION_NANOS}. */
    public static final String DDI_CALL = "vidmm/DDI";

    public static final String ADAPTER = "adapter";
    public static final String DEVICE = "device";
    /** VidMm's context handle: a fence value means something only with its context. */
    public static final String CONTEXT = "context";
    public static final String PID = "pid";
    public static final String PASID = "pasid";
    public static final String ENGINE = "engine";
    public static final String VA = "va";
    public static final String REASON = "reason";
    public static final String OUTCOME = "outcome";
    public static final String DRIVER = "driver";
    public static final String SERVICE_ID = "driver.service.id";
    public static final String HANDLE = "handle";
    public static final String SOURCE = "source";
    public static final String FENCE = "fence";
    public static final String COMMANDS = "commands";
    public static final String BYTES = "bytes";
    public static final String DDI = "ddi";
    public static final String DURATION_NANOS = "duration.nanos";
    /** Every event: {@code System.nanoTime()} when it happened (events are delivered later, asynchronously). */
    public static final String NANOS = "nanos";

    private VidMmEvents() {
    }
}
