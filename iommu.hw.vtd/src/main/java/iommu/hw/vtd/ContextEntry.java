package iommu.hw.vtd;

/**
 * A scalable-mode context entry (256 bits; 128 in a 4 KiB context table): what the unit does with the
 * requests of one device.
 *
 * @param present       P, bit 0
 * @param faultsOff     FPD (fault processing disable), bit 1
 * @param deviceTlb     DTE, bit 2: the device may cache translations (ATS); software must invalidate its device TLB
 * @param pasidEnable   PASIDE, bit 3: requests with a PASID are translated through the PASID directory
 * @param pageRequests  PRE, bit 4: the device may send page requests
 * @param directorySize PDTS, bits 11:9: the PASID directory has 2^(PDTS+7) entries
 * @param directory     PASIDDIRPTR, bits 63:12
 * @param ridPasid      RID_PASID, bits 83:64: the PASID requests without one are translated as
 */
public record ContextEntry(boolean present, boolean faultsOff, boolean deviceTlb, boolean pasidEnable,
                           boolean pageRequests, int directorySize, long directory, int ridPasid) {
    public static final int BYTES = 32;
    /** Entries per 4 KiB context table: the lower table holds devfn 0..127, the upper 128..255. */
    public static final int PER_TABLE = 128;

    public ContextEntry {
        Bits.fits("PDTS", directorySize, 3);
        Bits.aligned("PASIDDIRPTR", directory);
        Bits.fits("RID_PASID", ridPasid, 20);
    }

    /** PASID directory entries: 2^(PDTS+7). */
    public int directoryEntries() {
        return 1 << (directorySize + 7);
    }

    public long[] encode() {
        return new long[] {Bits.bit(present, 0) | Bits.bit(faultsOff, 1) | Bits.bit(deviceTlb, 2) | Bits.bit(pasidEnable, 3)
                | Bits.bit(pageRequests, 4) | (long) directorySize << 9 | directory, ridPasid, 0, 0};
    }

    public static ContextEntry decode(long[] words) {
        long q0 = words[0];
        return new ContextEntry((q0 & 1) != 0, (q0 & 2) != 0, (q0 & 4) != 0, (q0 & 8) != 0, (q0 & 16) != 0,
                (int) Bits.field(q0, 9, 3), q0 & ~0xFFFL, (int) Bits.field(words[1], 0, 20));
    }

    /** Bits 8:5 of the first word and 255:84 are reserved: set, the entry is invalid. */
    public static boolean reservedBitsSet(long[] words) {
        return (words[0] & 0x1E0L) != 0 || (words[1] & ~0x1FFFFFL) != 0 || words[2] != 0 || words[3] != 0;
    }

    /** The context entry of {@code devfn} in the context table at {@code table} (lower or upper, as the root entry says). */
    public static long address(long table, int devfn) {
        return table + (long) BYTES * (devfn % PER_TABLE);
    }
}
