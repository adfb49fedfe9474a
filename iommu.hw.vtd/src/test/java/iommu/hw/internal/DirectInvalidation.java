package iommu.hw.internal;

import iommu.hw.Invalidation;

/**
 * The benchmarks' baseline of an invalidation through the queue (part of iommu.hw's test fixture):
 * what a unit did for software's unmap before it had a queue, the range dropped from an IOTLB and
 * the requests in flight waited out, one method call.
 */
public final class DirectInvalidation {
    private final Iotlb iotlb;
    private final InflightGate gate = new InflightGate();

    public DirectInvalidation(int iotlbEntries) {
        iotlb = new Iotlb(iotlbEntries);
    }

    public void invalidate(int pasid, long va, long length) {
        iotlb.invalidate(new Invalidation.OfRange(pasid, va, length));
        gate.drain();
    }
}
