package os.memmgr;

/** The Event Admin topics the memory manager posts (asynchronously, when an Event Admin is present). */
public final class MemoryEvents {
    /** A process was created: {@link #PID}, {@link #NAME}. */
    public static final String PROCESS_CREATED = "os/PROCESS_CREATED";
    /** A process ended and its memory was returned: {@link #PID}, {@link #NAME}. */
    public static final String PROCESS_EXITED = "os/PROCESS_EXITED";
    /** Pages of a working set were trimmed (by hand or below the low-water mark): {@link #PID}, {@link #PASID} (0 if unbound), {@link #PAGES}. */
    public static final String PAGE_OUT = "os/PAGE_OUT";

    public static final String PID = "pid";
    public static final String NAME = "name";
    public static final String PASID = "pasid";
    public static final String PAGES = "pages";

    /** Every event: {@code System.nanoTime()} when it happened (events are delivered later, asynchronously). */
    public static final String NANOS = "nanos";

    private MemoryEvents() {
    }
}
