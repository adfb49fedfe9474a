package gpu.hw;

/**
 * One physical GPU's device TLB (its ATS translation cache), as {@code gpu:atc} prints it.
 *
 * @param enabled              whether the GPU caches translations (ATS on; off, its engines send
 *                             untranslated requests and the IOMMU translates each)
 * @param entries              translations cached now (4 KiB each)
 * @param hits                 lookups the cache answered
 * @param misses               lookups it did not
 * @param translationRequests  ATS translation requests sent to the IOMMU unit
 * @param invalidations        device-TLB invalidations received from the unit
 * @param timeouts             invalidations the GPU did not answer in time (the unit then refused its
 *                             translated requests until an engine reset emptied the cache)
 * @param blocked              whether the unit refuses the GPU's translated requests now
 */
public record DeviceTlbStats(boolean enabled, long entries, long hits, long misses, long translationRequests,
                             long invalidations, long timeouts, boolean blocked) {
}
