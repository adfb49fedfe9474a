package os.memmgr;

/** The Event Admin topics the memory manager posts (asynchronously, when an Event Admin is present). */
public final class MemoryEvents {
    /** A process was created: {@link #PID}, {@link #NAME}. */
    public static final String PROCESS_CREATED = "os/PROCESS_CREATED";
    /** A process ended and its memory was returned: {@link #PID}, {@link #NAME}. */
    public static final String PROCESS_EXITED = "os/PROCESS_EXITED";
    /**
     * Pages of a working set were trimmed (by hand or below the low-water mark): {@link #PID},
     * {@link #PASIDS} (the process's PASID on each IOMMU unit it is bound to), {@link #PAGES}.
     */
    public static final String PAGE_OUT = "os/PAGE_OUT";

    public static final String PID = "pid";
    public static final String NAME = "name";
    /**
     * @deprecated a PASID means nothing without its unit; no event carries this any more: {@link #PASIDS}
     */
    @Deprecated
    public static final String PASID = "pasid";
    /** A PASID together with its unit: {@code "unit:PASID"} for each unit, comma separated ({@code "-"} if none). */
    public static final String PASIDS = "pasids";
    public static final String PAGES = "pages";

    /** Every event: {@code System.nanoTime()} when it happened (events are delivered later, asynchronously). */
    public static final String NANOS = "nanos";

    private MemoryEvents() {
    }

    /** {@link #PASIDS}' text for a process's PASIDs by unit. */
    public static String pasids(java.util.SortedMap<Integer, Integer> byUnit) {
        if (byUnit.isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        byUnit.forEach((unit, pasid) -> b.append(b.length() == 0 ? "" : ",").append(unit).append(':').append(pasid));
        return b.toString();
    }
}
