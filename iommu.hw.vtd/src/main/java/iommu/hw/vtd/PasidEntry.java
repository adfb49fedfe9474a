package iommu.hw.vtd;

import java.util.Locale;

/**
 * A scalable-mode PASID table entry (512 bits; 64 in a 4 KiB PASID table, indexed by PASID[5:0]). The
 * OS writes one when it binds an address space: present, first-level translation only, 4-level paging,
 * and the first-level table pointer the very PML4 the CPU uses.
 *
 * @param present            P, bit 0
 * @param faultsOff          FPD, bit 1
 * @param translationType    PGTT, bits 8:6 ({@link #FIRST_LEVEL} is the only one this model translates)
 * @param domain             DID, bits 79:64: the domain id the invalidation descriptors name
 * @param supervisorRequests SRE, bit 128: requests with privilege allowed (never, for a GPU's user requests)
 * @param pagingMode         FLPM, bits 131:130 ({@link #FOUR_LEVEL})
 * @param writeProtect       WPE, bit 132: supervisor requests honour R/W (as CR0.WP)
 * @param noExecute          NXE, bit 133: the XD bit of first-level entries is honoured (as EFER.NXE)
 * @param firstLevelTable    FLPTPTR, bits 191:140: the PML4
 */
public record PasidEntry(boolean present, boolean faultsOff, int translationType, int domain, boolean supervisorRequests,
                         int pagingMode, boolean writeProtect, boolean noExecute, long firstLevelTable) {
    public static final int BYTES = 64;
    /** Entries per 4 KiB PASID table (PASID[5:0]). */
    public static final int PER_TABLE = 64;
    /** PGTT: first-level translation only. */
    public static final int FIRST_LEVEL = 1;
    /** FLPM: 4-level paging. */
    public static final int FOUR_LEVEL = 0;

    public PasidEntry {
        Bits.fits("PGTT", translationType, 3);
        Bits.fits("DID", domain, 16);
        Bits.fits("FLPM", pagingMode, 2);
        Bits.aligned("FLPTPTR", firstLevelTable);
    }

    /** The entry an OS writes to bind {@code pml4} for user requests: present, first level, 4-level, NXE and WPE set. */
    public static PasidEntry firstLevel(int domain, long pml4) {
        return new PasidEntry(true, false, FIRST_LEVEL, domain, false, FOUR_LEVEL, true, true, pml4);
    }

    public long[] encode() {
        long[] q = new long[8];
        q[0] = Bits.bit(present, 0) | Bits.bit(faultsOff, 1) | (long) translationType << 6;
        q[1] = domain;
        q[2] = Bits.bit(supervisorRequests, 0) | (long) pagingMode << 2 | Bits.bit(writeProtect, 4) | Bits.bit(noExecute, 5)
                | firstLevelTable;
        return q;
    }

    public static PasidEntry decode(long[] q) {
        return new PasidEntry((q[0] & 1) != 0, (q[0] & 2) != 0, (int) Bits.field(q[0], 6, 3), (int) Bits.field(q[1], 0, 16),
                (q[2] & 1) != 0, (int) Bits.field(q[2], 2, 2), (q[2] & 16) != 0, (q[2] & 32) != 0, q[2] & ~0xFFFL);
    }

    /** The entry of {@code pasid} in the PASID table at {@code table}: its PASID[5:0]-th. */
    public static long address(long table, int pasid) {
        return table + (long) BYTES * (pasid & (PER_TABLE - 1));
    }

    /** Each field decoded, one per line, as {@code iommu:pasid-entry} prints them. */
    public String describe() {
        return String.format(Locale.ROOT, "P (present)            %d%nFPD (faults off)       %d%nPGTT (translation)     %d (%s)%n"
                        + "DID (domain)           %d%nSRE (supervisor)       %d%nFLPM (paging mode)     %d (%s)%n"
                        + "WPE (write protect)    %d%nNXE (no-execute)       %d%nFLPTPTR (first level)  0x%x",
                present ? 1 : 0, faultsOff ? 1 : 0, translationType, switch (translationType) {
                    case 1 -> "first-level only";
                    case 2 -> "second-level only";
                    case 3 -> "nested";
                    case 4 -> "pass-through";
                    default -> "reserved";
                }, domain, supervisorRequests ? 1 : 0, pagingMode, pagingMode == 0 ? "4-level" : pagingMode == 1 ? "5-level" : "reserved",
                writeProtect ? 1 : 0, noExecute ? 1 : 0, firstLevelTable);
    }
}
