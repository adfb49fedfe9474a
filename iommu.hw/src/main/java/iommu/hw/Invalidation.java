package iommu.hw;

/** The scope of an IOTLB invalidation. */
public sealed interface Invalidation permits Invalidation.All, Invalidation.OfPasid, Invalidation.OfRange {

    /** Every cached translation of every PASID. */
    record All() implements Invalidation {
    }

    /** Every cached translation of one PASID. */
    record OfPasid(int pasid) implements Invalidation {
        public OfPasid {
            Pasid.check(pasid);
        }
    }

    /**
     * Cached translations of one PASID that overlap {@code [va, va + length)}, including large pages
     * that only partly overlap it.
     */
    record OfRange(int pasid, long va, long length) implements Invalidation {
        public OfRange {
            Pasid.check(pasid);
            if (length <= 0) {
                throw new IllegalArgumentException("invalidation length must be > 0, not " + length);
            }
            if (!Pte.isCanonical(va)) {
                throw new IllegalArgumentException(String.format("VA 0x%x is not canonical", va));
            }
        }
    }
}
