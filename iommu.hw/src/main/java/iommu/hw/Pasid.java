package iommu.hw;

/** Process Address Space ID rules: 20 bits, 0 reserved for requests without a PASID. */
public final class Pasid {
    /** The largest PASID a 20-bit PASID table can hold. */
    public static final int MAX = (1 << 20) - 1;
    /** The smallest PASID that can be bound; 0 is reserved. */
    public static final int MIN = 1;

    private Pasid() {
    }

    /**
     * Checks that {@code pasid} can be bound.
     *
     * @throws IllegalArgumentException naming the PASID if it is 0 or does not fit 20 bits
     */
    public static int check(int pasid) {
        if (pasid < MIN || pasid > MAX) {
            throw new IllegalArgumentException(String.format(
                    "PASID %d is out of range: PASIDs are %d..%d (0x%x)", pasid, MIN, MAX, MAX));
        }
        return pasid;
    }
}
