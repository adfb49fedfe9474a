package iommu.hw;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A device behind an IOMMU unit that caches translations itself (PCIe ATS: a device TLB, the GPU's
 * address translation cache). It attaches with {@link DmaInitiator#attach} and then receives the unit's
 * device-TLB invalidation requests, which software queues after the IOTLB invalidation of the same range.
 */
@ConsumerType
public interface AtsDevice {
    /**
     * An ATS invalidation request: drop every cached translation of {@code pasid} that overlaps
     * {@code [va, va + length)} ({@code length} may be {@link Long#MAX_VALUE}: all of the PASID) and
     * answer once no request in flight still uses one. Returns false when that did not happen within
     * {@code timeoutNanos}: the unit then blocks the device's translated requests (an invalidation
     * time-out), so that nothing stale can reach memory, until the device {@linkplain AtsPort#reset resets}.
     */
    boolean invalidate(int pasid, long va, long length, long timeoutNanos);
}
