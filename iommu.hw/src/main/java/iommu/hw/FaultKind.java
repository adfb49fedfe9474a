package iommu.hw;

/**
 * Why a translation failed, named after the x86 / VT-d fault reasons. A fault is data: it is
 * returned in a {@link Translation.Fault}, recorded in the IOMMU's fault log, and never thrown.
 */
public enum FaultKind {
    /** A paging-structure entry on the walk had P=0 and no page request resolved it. */
    NOT_PRESENT,
    /** A write to a page that some level of the walk maps read-only. */
    WRITE_PROTECTED,
    /** An instruction fetch from a page that some level marks no-execute. */
    EXECUTE_PROTECTED,
    /** A user (non-privileged) request to a page that some level maps supervisor-only. */
    SUPERVISOR_ONLY,
    /** A paging-structure entry had a reserved bit set (above MAXPHYADDR, or PS where not allowed). */
    RESERVED_BIT,
    /** The virtual address is not canonical (bits 63..47 are not all equal). */
    NON_CANONICAL,
    /** The request's PASID has no present entry (its PASID directory or table entry is not present). */
    PASID_NOT_BOUND,
    /** A paging-structure entry points beyond the installed system memory. */
    NON_EXISTENT_MEMORY,
    /**
     * A not-present page's page request got a failure response: the address is valid but the OS
     * could not bring the page in (no frame even after trimming, a pagefile read error, no resolver).
     */
    PAGE_REQUEST_FAILED,
    /**
     * The requester has no usable context entry: no root table is programmed, the root or context
     * entry is not present, PASIDs are not enabled in it, or it has a reserved bit set.
     */
    NO_CONTEXT,
    /**
     * The PASID's entry is present but not one this unit translates with: not first-level only, not
     * 4-level paging, no-execute not enabled, or a table pointer outside memory.
     */
    PASID_ENTRY_INVALID,
    /**
     * A device's translated request was refused: the unit blocks the device since it did not answer a
     * device-TLB invalidation in time, until the device resets.
     */
    DEVICE_BLOCKED
}
