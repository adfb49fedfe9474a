package iommu.hw.vtd;

/**
 * A scalable-mode PASID directory entry (64 bits), indexed by PASID[19:6]: a PASID table of 64 entries.
 *
 * @param present   P, bit 0
 * @param faultsOff FPD, bit 1
 * @param table     SMPTBLPTR, bits 63:12
 */
public record PasidDirectoryEntry(boolean present, boolean faultsOff, long table) {
    public static final int BYTES = 8;

    public PasidDirectoryEntry {
        Bits.aligned("SMPTBLPTR", table);
    }

    public long encode() {
        return table | Bits.bit(faultsOff, 1) | Bits.bit(present, 0);
    }

    public static PasidDirectoryEntry decode(long word) {
        return new PasidDirectoryEntry((word & 1) != 0, (word & 2) != 0, word & ~0xFFFL);
    }

    /** The directory entry of {@code pasid}: the directory's PASID[19:6]-th. */
    public static long address(long directory, int pasid) {
        return directory + (long) BYTES * (pasid >>> 6);
    }
}
