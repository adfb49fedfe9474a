package iommu.hw.amdvi;

/** Bit helpers of the formats here. */
final class Bits {
    /** Bits 51:12: a 4 KiB-aligned physical address below 2^52. */
    static final long ADDRESS_51_12 = 0x000F_FFFF_FFFF_F000L;

    private Bits() {
    }

    static long flag(boolean set, int bit) {
        return set ? 1L << bit : 0;
    }

    static boolean bit(long word, int bit) {
        return (word >>> bit & 1) != 0;
    }

    static int bit(boolean b) {
        return b ? 1 : 0;
    }
}
