package iommu.hw;

/**
 * Counters of the IOMMU since it started.
 *
 * @param translations    translation requests
 * @param iotlbHits       requests answered by the IOTLB
 * @param iotlbMisses     requests that needed a page walk
 * @param faults          translations that ended in a fault
 * @param pageRequests    page requests sent to the OS
 * @param pageRequestsFailed page requests answered other than SUCCESS
 * @param invalidations   invalidation commands
 * @param iotlbEntries    translations cached now
 */
public record IommuStats(long translations, long iotlbHits, long iotlbMisses, long faults,
                         long pageRequests, long pageRequestsFailed, long invalidations, long iotlbEntries) {
}
