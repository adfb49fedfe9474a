package iommu.hw.vtd;

/**
 * A scalable-mode root entry (128 bits, one per bus, 256 in the 4 KiB root table): the lower context
 * table holds devices 0..15 (devfn 0..127) of the bus, the upper one devfn 128..255.
 *
 * @param lowerPresent LP, bit 0
 * @param lowerTable   LCTP, bits 63:12: the lower context table
 * @param upperPresent UP, bit 64
 * @param upperTable   UCTP, bits 127:76: the upper context table
 */
public record RootEntry(boolean lowerPresent, long lowerTable, boolean upperPresent, long upperTable) {
    public static final int BYTES = 16;
    static final long PRESENT = 1;
    static final long POINTER = ~0xFFFL;

    public RootEntry {
        Bits.aligned("LCTP", lowerTable);
        Bits.aligned("UCTP", upperTable);
    }

    public long[] encode() {
        return new long[] {lowerTable | (lowerPresent ? PRESENT : 0), upperTable | (upperPresent ? PRESENT : 0)};
    }

    public static RootEntry decode(long low, long high) {
        return new RootEntry((low & PRESENT) != 0, low & POINTER, (high & PRESENT) != 0, high & POINTER);
    }

    /** The root entry of {@code bus} in the root table at {@code table}. */
    public static long address(long table, int bus) {
        return table + (long) BYTES * bus;
    }
}
