package kmd.api;

/** DXGK_ALLOCATIONINFOFLAGS, the part this model uses. */
public enum AllocationFlag {
    /** The CPU maps and reads or writes it (in the IoMmu model: always through the shared VA). */
    CPU_VISIBLE,
    /** A primary surface, scanned out by the display. */
    PRIMARY,
    /** Shareable with other processes. */
    SHARED
}
