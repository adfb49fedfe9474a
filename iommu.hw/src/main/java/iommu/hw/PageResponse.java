package iommu.hw;

/** The OS's answer to a {@link PageRequest}, with the PCIe PRG response codes. */
public enum PageResponse {
    /** The page is now present with the requested access: retry the translation. */
    SUCCESS,
    /** The address is not valid for this PASID (not committed, no access): the request faults. */
    INVALID,
    /** The OS could not service the request (e.g. out of memory, PASID unknown to the OS). */
    FAILURE
}
