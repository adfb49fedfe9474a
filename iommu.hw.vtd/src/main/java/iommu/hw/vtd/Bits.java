package iommu.hw.vtd;

/** Field checks shared by the formats: a value that does not fit its field is refused, never truncated. */
final class Bits {
    private Bits() {
    }

    static void aligned(String field, long address) {
        if ((address & 0xFFF) != 0 || address < 0) {
            throw new IllegalArgumentException(String.format("%s 0x%x is not a 4 KiB-aligned physical address", field, address));
        }
    }

    static long fits(String field, long value, int bits) {
        if (value < 0 || (bits < 64 && value >>> bits != 0)) {
            throw new IllegalArgumentException(String.format("%s %d does not fit %d bits", field, value, bits));
        }
        return value;
    }

    static long field(long word, int low, int bits) {
        return (word >>> low) & ((1L << bits) - 1);
    }

    static long bit(boolean set, int at) {
        return set ? 1L << at : 0;
    }
}
