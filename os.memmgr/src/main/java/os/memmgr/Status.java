package os.memmgr;

/** Why a memory-manager call failed; the names follow the NTSTATUS codes a Windows engineer knows. */
public enum Status {
    /** An argument is malformed: zero or huge size, unaligned or non-canonical address, bad flag. */
    INVALID_PARAMETER,
    /** The address is outside the user address range. */
    INVALID_ADDRESS,
    /** A reservation at that address would overlap an existing one. */
    CONFLICTING_ADDRESSES,
    /** No reservation covers the address (e.g. a double free). */
    MEMORY_NOT_ALLOCATED,
    /** A release named an address inside a reservation instead of its base. */
    FREE_VM_NOT_AT_BASE,
    /** The range is reserved but not committed. */
    NOT_COMMITTED,
    /** The range spans more than one reservation, or is the wrong kind of reservation for the call. */
    INVALID_RANGE,
    /** A CPU access the page protection does not allow, or to memory that is not committed. */
    ACCESS_VIOLATION,
    /** No free frame (or no free address range, or no free PASID) is left. */
    NO_MEMORY,
    /** No process has that id. */
    INVALID_CID,
    /** No section or pin has that handle. */
    INVALID_HANDLE,
    /** The process is exiting. */
    PROCESS_IS_TERMINATING,
    /** Committing the pages would take the system's commit charge over its commit limit (RAM + pagefile). */
    COMMITMENT_LIMIT,
    /** A page could not be read back from the pagefile (an I/O error): its data is not available. */
    IN_PAGE_ERROR
}
