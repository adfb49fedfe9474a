package iommu.hw.amdvi;

/**
 * A device table entry (DTE, 256 bits), the IOMMU's entry for one DeviceID (a PCI requester id): the
 * fields this model uses, at the bits Linux's {@code amd_iommu_types.h} places them.
 * <ul>
 * <li>word 0: V (bit 0), TV (1), Mode (11:9: host paging mode, 0 = none), host page table root (51:12),
 *     PPR (52: peripheral page requests allowed), GIoV (54), GV (55: guest translation valid), GLX (57:56:
 *     levels of the GCR3 table beyond the first), GCR3 table root bits 14:12 (60:58), IR (61), IW (62);</li>
 * <li>word 1: DomainID (15:0), GCR3 table root bits 30:15 (31:16), I (32: the device's IOTLB, ATS,
 *     enabled), GCR3 table root bits 51:31 (63:43);</li>
 * <li>word 2: GPT level (55:54: 0 = 4-level guest page tables, 1 = 5-level);</li>
 * <li>word 3: interrupt remapping, not modelled (zero).</li>
 * </ul>
 * Other bits (interrupt control, SysMgt, EX, SD, ...) are written zero and ignored.
 */
public record DeviceTableEntry(boolean valid, boolean translationValid, int mode, long hostTable, boolean pageRequests,
                               boolean guestIo, boolean guestTranslation, int glx, long gcr3Table, boolean readable,
                               boolean writable, int domainId, boolean iotlb, int guestPagingLevel) {
    /** Bytes of one entry. */
    public static final int BYTES = 32;
    /** GPT level 0: 4-level guest page tables, what the CPU's PML4 is. */
    public static final int GUEST_4_LEVEL = 0;

    public DeviceTableEntry {
        if (mode < 0 || mode > 7 || glx < 0 || glx > 3 || domainId < 0 || domainId > 0xFFFF || guestPagingLevel < 0
                || guestPagingLevel > 3) {
            throw new IllegalArgumentException("device table entry: mode " + mode + ", GLX " + glx + ", DomainID " + domainId
                    + " or GPT level " + guestPagingLevel + " does not fit its field");
        }
        if ((hostTable & ~Bits.ADDRESS_51_12) != 0 || (gcr3Table & ~Bits.ADDRESS_51_12) != 0) {
            throw new IllegalArgumentException(String.format("device table entry: table addresses 0x%x and 0x%x must be"
                    + " 4 KiB-aligned below 2^52", hostTable, gcr3Table));
        }
    }

    /**
     * What Linux's set_dte_entry writes for a device whose PASIDs are translated through the GCR3 table
     * at {@code gcr3Table} ({@code glx} levels beyond the first) by guest (first-level, v2) page tables
     * alone: V, TV, Mode 0 (no host translation), IR, IW, GV, GLX, the table, 4-level guest tables,
     * PPR and I as given.
     */
    public static DeviceTableEntry guest(int domainId, long gcr3Table, int glx, boolean pageRequests, boolean iotlb) {
        return new DeviceTableEntry(true, true, 0, 0, pageRequests, false, true, glx, gcr3Table, true, true, domainId, iotlb,
                GUEST_4_LEVEL);
    }

    /** The entry's four words in memory order. */
    public long[] encode() {
        long w0 = Bits.flag(valid, 0) | Bits.flag(translationValid, 1) | (long) mode << 9 | hostTable
                | Bits.flag(pageRequests, 52) | Bits.flag(guestIo, 54) | Bits.flag(guestTranslation, 55) | (long) glx << 56
                | ((gcr3Table >>> 12) & 0x7) << 58 | Bits.flag(readable, 61) | Bits.flag(writable, 62);
        long w1 = domainId | ((gcr3Table >>> 15) & 0xFFFF) << 16 | Bits.flag(iotlb, 32) | ((gcr3Table >>> 31) & 0x1F_FFFF) << 43;
        long w2 = (long) guestPagingLevel << 54;
        return new long[] {w0, w1, w2, 0};
    }

    public static DeviceTableEntry decode(long[] w) {
        long gcr3 = ((w[0] >>> 58) & 0x7) << 12 | ((w[1] >>> 16) & 0xFFFF) << 15 | ((w[1] >>> 43) & 0x1F_FFFF) << 31;
        return new DeviceTableEntry(Bits.bit(w[0], 0), Bits.bit(w[0], 1), (int) (w[0] >>> 9) & 0x7, w[0] & Bits.ADDRESS_51_12,
                Bits.bit(w[0], 52), Bits.bit(w[0], 54), Bits.bit(w[0], 55), (int) (w[0] >>> 56) & 0x3, gcr3, Bits.bit(w[0], 61),
                Bits.bit(w[0], 62), (int) (w[1] & 0xFFFF), Bits.bit(w[1], 32), (int) (w[2] >>> 54) & 0x3);
    }

    /** The physical address of {@code deviceId}'s entry in the device table at {@code table}. */
    public static long address(long table, int deviceId) {
        return table + (long) BYTES * deviceId;
    }

    /** The fields, one line (the shell's {@code iommu:context}). */
    public String describe() {
        return String.format(java.util.Locale.ROOT, "V %d  TV %d  Mode %d  PPR %d  GV %d  GLX %d  GCR3 0x%x  IR %d  IW %d"
                        + "  DomainID %d  I %d  GPT %d-level", Bits.bit(valid), Bits.bit(translationValid), mode, Bits.bit(pageRequests),
                Bits.bit(guestTranslation), glx, gcr3Table, Bits.bit(readable), Bits.bit(writable), domainId, Bits.bit(iotlb),
                guestPagingLevel == GUEST_4_LEVEL ? 4 : 5);
    }
}
