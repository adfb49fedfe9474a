package iommu.hw.amdvi;

/**
 * The GCR3 table: per PASID, the guest CR3 (the PML4) its requests are translated through. A table is
 * one 4 KiB frame of 512 eight-byte entries; with GLX = n in the device table entry there are n + 1
 * levels, the first indexed by the PASID's highest nine bits, the last by bits 8:0 (Linux's
 * {@code __get_gcr3_pte}: index = (pasid >> (9 * level)) & 0x1ff). An entry is valid (bit 0,
 * {@code GCR3_VALID}) with the next table's or the guest CR3's address in bits 51:12.
 */
public final class Gcr3Table {
    /** Entries of one table. */
    public static final int ENTRIES = 512;
    /** GCR3_VALID. */
    public static final long VALID = 1;

    private Gcr3Table() {
    }

    /** The entry pointing at {@code address} (a 4 KiB-aligned table or PML4), valid. */
    public static long entry(long address) {
        if ((address & ~Bits.ADDRESS_51_12) != 0) {
            throw new IllegalArgumentException(String.format("GCR3 table entry: 0x%x is not 4 KiB-aligned below 2^52", address));
        }
        return address | VALID;
    }

    public static boolean valid(long entry) {
        return (entry & VALID) != 0;
    }

    /** The address an entry points at. */
    public static long address(long entry) {
        return entry & Bits.ADDRESS_51_12;
    }

    /** {@code pasid}'s index in a table of {@code level} (0: the last level). */
    public static int index(int pasid, int level) {
        return (pasid >>> (9 * level)) & (ENTRIES - 1);
    }

    /** The largest PASID a GCR3 table of {@code glx} levels beyond the first can hold. */
    public static int maxPasid(int glx) {
        return (int) Math.min((1L << (9 * (glx + 1))) - 1, iommu.hw.Pasid.MAX);
    }
}
