package iommu.hw.amdvi;

/**
 * A command of the command buffer: 128 bits, four dwords, the opcode in dword 1 bits 31:28 (Linux's
 * {@code CMD_SET_TYPE}). The fields of each command are where Linux's {@code build_*} functions place
 * them (drivers/iommu/amd/iommu.c); {@link #encode} gives the two 64-bit words in memory order (dword 0
 * in the low half of the first) and {@link #decode} reads them back, refusing an opcode this unit does
 * not implement or a bit set outside the command's fields.
 */
public sealed interface Command {
    int BYTES = 16;
    int COMPLETION_WAIT = 0x1;
    int INVALIDATE_DEVTAB_ENTRY = 0x2;
    int INVALIDATE_IOMMU_PAGES = 0x3;
    int INVALIDATE_IOTLB_PAGES = 0x4;
    int INVALIDATE_INTERRUPT_TABLE = 0x5;
    int COMPLETE_PPR_REQUEST = 0x7;
    int INVALIDATE_IOMMU_ALL = 0x8;
    /** CMD_INV_IOMMU_ALL_PAGES_ADDRESS: with S set, every page. */
    long ALL_PAGES_ADDRESS = 0x7FFF_FFFF_FFFF_F000L;

    int opcode();

    long[] encode();

    /** Packs four dwords into two words (dword 0 low). */
    private static long[] words(long d0, long d1, long d2, long d3) {
        return new long[] {(d0 & 0xFFFF_FFFFL) | d1 << 32, (d2 & 0xFFFF_FFFFL) | d3 << 32};
    }

    /**
     * COMPLETION_WAIT: once every command before it completed, stores {@code data} (64 bits) at
     * {@code address} (8-byte aligned, dword 0 bits 31:3 and dword 1 bits 19:0) if {@code store} (S, dword 0
     * bit 0), and sets ComWaitInt in the status register if {@code interrupt} (I, bit 1).
     */
    record CompletionWait(boolean store, boolean interrupt, long address, long data) implements Command {
        public CompletionWait {
            if ((address & 0x7) != 0 || address < 0 || address >= 1L << 52) {
                throw new IllegalArgumentException(String.format("COMPLETION_WAIT: store address 0x%x is not 8-byte aligned below 2^52", address));
            }
        }

        @Override
        public int opcode() {
            return COMPLETION_WAIT;
        }

        @Override
        public long[] encode() {
            return words((address & 0xFFFF_FFF8L) | Bits.flag(store, 0) | Bits.flag(interrupt, 1),
                    (address >>> 32) | (long) COMPLETION_WAIT << 28, data, data >>> 32);
        }
    }

    /** INVALIDATE_DEVTAB_ENTRY: the unit drops what it cached of device {@code deviceId}'s entry (dword 0 bits 15:0). */
    record InvalidateDevtabEntry(int deviceId) implements Command {
        public InvalidateDevtabEntry {
            checkDevice(deviceId);
        }

        @Override
        public int opcode() {
            return INVALIDATE_DEVTAB_ENTRY;
        }

        @Override
        public long[] encode() {
            return words(deviceId, (long) INVALIDATE_DEVTAB_ENTRY << 28, 0, 0);
        }
    }

    /**
     * INVALIDATE_IOMMU_PAGES: the unit drops the translations of a range for a domain (dword 1 bits 15:0)
     * and, with GN (dword 2 bit 2), one PASID (dword 0 bits 19:0); PDE (bit 1) drops the cached table
     * entries above the leaves too (with GN: the PASID's GCR3 entry). The range is
     * {@code address} (bits 63:12) with S (bit 0): see {@link Command#rangeOf}.
     */
    record InvalidateIommuPages(int domainId, int pasid, boolean guest, boolean pde, boolean size, long address)
            implements Command {
        public InvalidateIommuPages {
            if (domainId < 0 || domainId > 0xFFFF || pasid < 0 || pasid > 0xF_FFFF || (address & 0xFFF) != 0) {
                throw new IllegalArgumentException("INVALIDATE_IOMMU_PAGES: DomainID " + domainId + ", PASID " + pasid
                        + " or address " + Long.toHexString(address) + " does not fit its field");
            }
        }

        /** What Linux builds for {@code [va, va + length)} of {@code pasid} (GN and PDE set, S as the range needs). */
        public static InvalidateIommuPages of(int domainId, int pasid, long va, long length) {
            long[] a = addressOf(va, length);
            return new InvalidateIommuPages(domainId, pasid, true, true, a[1] != 0, a[0]);
        }

        @Override
        public int opcode() {
            return INVALIDATE_IOMMU_PAGES;
        }

        @Override
        public long[] encode() {
            return words(pasid, domainId | (long) INVALIDATE_IOMMU_PAGES << 28, (address & 0xFFFF_F000L) | Bits.flag(size, 0)
                    | Bits.flag(pde, 1) | Bits.flag(guest, 2), address >>> 32);
        }

        /** The range: {base, length}. */
        public long[] range() {
            return rangeOf(address, size);
        }
    }

    /**
     * INVALIDATE_IOTLB_PAGES: the unit sends an ATS invalidation of a range to device {@code deviceId}
     * (dword 0 bits 15:0) for PASID (bits 15:8 in dword 0 bits 23:16, bits 7:0 in dword 1 bits 23:16)
     * with GN (dword 2 bit 2); {@code maxPending} (dword 0 bits 31:24, Linux's qdep) and
     * {@code queueId} (dword 1 bits 15:0, where Linux writes the device id again). Range as
     * {@link InvalidateIommuPages}.
     */
    record InvalidateIotlbPages(int deviceId, int maxPending, int queueId, int pasid, boolean guest, boolean size,
                                long address) implements Command {
        public InvalidateIotlbPages {
            checkDevice(deviceId);
            if (maxPending < 0 || maxPending > 0xFF || queueId < 0 || queueId > 0xFFFF || pasid < 0 || pasid > 0xFFFF
                    || (address & 0xFFF) != 0) {
                throw new IllegalArgumentException("INVALIDATE_IOTLB_PAGES: MaxPend " + maxPending + ", QueueID " + queueId
                        + ", PASID " + pasid + " or address " + Long.toHexString(address) + " does not fit its field");
            }
        }

        /** What Linux's build_inv_iotlb_pages builds for {@code [va, va + length)} of {@code pasid} (GN set). */
        public static InvalidateIotlbPages of(int deviceId, int queueDepth, int pasid, long va, long length) {
            long[] a = addressOf(va, length);
            return new InvalidateIotlbPages(deviceId, queueDepth, deviceId, pasid, true, a[1] != 0, a[0]);
        }

        @Override
        public int opcode() {
            return INVALIDATE_IOTLB_PAGES;
        }

        @Override
        public long[] encode() {
            return words(deviceId | (long) ((pasid >>> 8) & 0xFF) << 16 | (long) maxPending << 24,
                    queueId | (long) (pasid & 0xFF) << 16 | (long) INVALIDATE_IOTLB_PAGES << 28,
                    (address & 0xFFFF_F000L) | Bits.flag(size, 0) | Bits.flag(guest, 2), address >>> 32);
        }

        public long[] range() {
            return rangeOf(address, size);
        }
    }

    /** INVALIDATE_INTERRUPT_TABLE: device {@code deviceId}'s interrupt remapping table (the unit remaps none). */
    record InvalidateInterruptTable(int deviceId) implements Command {
        public InvalidateInterruptTable {
            checkDevice(deviceId);
        }

        @Override
        public int opcode() {
            return INVALIDATE_INTERRUPT_TABLE;
        }

        @Override
        public long[] encode() {
            return words(deviceId, (long) INVALIDATE_INTERRUPT_TABLE << 28, 0, 0);
        }
    }

    /**
     * COMPLETE_PPR_REQUEST: software's answer to device {@code deviceId}'s page request group (dword 0
     * bits 15:0): PASID (dword 1 bits 19:0) with GN (dword 2 bit 2), the group's tag (dword 3 bits 8:0,
     * its PRG index) and the PRG response code (dword 3 bits 15:12: {@link #SUCCESS}, {@link #INVALID},
     * {@link #FAILURE}).
     */
    record CompletePprRequest(int deviceId, int pasid, boolean guest, int tag, int status) implements Command {
        public static final int SUCCESS = 0x0;
        public static final int INVALID = 0x1;
        public static final int FAILURE = 0xF;

        public CompletePprRequest {
            checkDevice(deviceId);
            if (pasid < 0 || pasid > 0xF_FFFF || tag < 0 || tag > 0x1FF || status < 0 || status > 0xF) {
                throw new IllegalArgumentException("COMPLETE_PPR_REQUEST: PASID " + pasid + ", tag " + tag + " or status "
                        + status + " does not fit its field");
            }
        }

        @Override
        public int opcode() {
            return COMPLETE_PPR_REQUEST;
        }

        @Override
        public long[] encode() {
            return words(deviceId, pasid | (long) COMPLETE_PPR_REQUEST << 28, Bits.flag(guest, 2), tag | (long) status << 12);
        }
    }

    /** INVALIDATE_IOMMU_ALL: the unit drops everything it caches (device table entries, GCR3 entries, translations). */
    record InvalidateIommuAll() implements Command {
        @Override
        public int opcode() {
            return INVALIDATE_IOMMU_ALL;
        }

        @Override
        public long[] encode() {
            return words(0, (long) INVALIDATE_IOMMU_ALL << 28, 0, 0);
        }
    }

    private static void checkDevice(int deviceId) {
        if (deviceId < 0 || deviceId > 0xFFFF) {
            throw new IllegalArgumentException("DeviceID " + deviceId + " is not 16 bits");
        }
    }

    /**
     * Linux's build_inv_address: {address, S} for {@code [va, va + length)}. One page: its address, S
     * clear. Otherwise the smallest naturally aligned power-of-two range holding it: S set and the
     * address's bits below the range's top bit set (all of them: every page).
     */
    static long[] addressOf(long va, long length) {
        if (length <= 0) {
            throw new IllegalArgumentException("invalidation of " + length + " bytes");
        }
        long end = va + length - 1;
        if ((va & ~0xFFFL) == (end & ~0xFFFL)) {
            return new long[] {va & ~0xFFFL, 0};
        }
        int msb = 63 - Long.numberOfLeadingZeros(end ^ va);
        long address = msb > 51 ? ALL_PAGES_ADDRESS : (va | ((1L << msb) - 1)) & ~0xFFFL;
        return new long[] {address, 1};
    }

    /**
     * The range an address and S name: {base, length}. S clear: the 4 KiB page. S set: the lowest clear
     * bit at or above 12 gives the size (bit n clear, bits n-1..12 set: 2^(n+1) bytes).
     */
    static long[] rangeOf(long address, boolean size) {
        if (!size) {
            return new long[] {address, 4096};
        }
        long ones = Long.numberOfTrailingZeros(~(address >>> 12)); // bits 12.. set in a row
        if (ones >= 51) {
            return new long[] {0, Long.MAX_VALUE}; // every page
        }
        long bytes = 1L << (ones + 13);
        return new long[] {address & ~(bytes - 1), bytes};
    }

    /**
     * Reads a command from its two words.
     *
     * @throws IllegalArgumentException naming the opcode or the field, for an opcode the unit does not
     *                                  implement or a bit set outside the command's fields (an
     *                                  ILLEGAL_COMMAND_ERROR)
     */
    static Command decode(long[] w) {
        int d0 = (int) w[0];
        int d1 = (int) (w[0] >>> 32);
        int d2 = (int) w[1];
        int d3 = (int) (w[1] >>> 32);
        int opcode = d1 >>> 28;
        long address = (d2 & 0xFFFF_F000L) | (long) d3 << 32;
        switch (opcode) {
            case COMPLETION_WAIT -> {
                reserved("COMPLETION_WAIT", d1 & 0x0FF0_0000L);
                return new CompletionWait((d0 & 1) != 0, (d0 & 2) != 0, (d0 & 0xFFFF_FFF8L) | (long) (d1 & 0xF_FFFF) << 32,
                        (d2 & 0xFFFF_FFFFL) | (long) d3 << 32);
            }
            case INVALIDATE_DEVTAB_ENTRY -> {
                reserved("INVALIDATE_DEVTAB_ENTRY", (d0 & 0xFFFF_0000L) | (d1 & 0x0FFF_FFFFL) | d2 | d3);
                return new InvalidateDevtabEntry(d0 & 0xFFFF);
            }
            case INVALIDATE_IOMMU_PAGES -> {
                reserved("INVALIDATE_IOMMU_PAGES", (d0 & 0xFFF0_0000L) | (d1 & 0x0FFF_0000L) | (d2 & 0xFF8L));
                return new InvalidateIommuPages(d1 & 0xFFFF, d0 & 0xF_FFFF, (d2 & 4) != 0, (d2 & 2) != 0, (d2 & 1) != 0, address);
            }
            case INVALIDATE_IOTLB_PAGES -> {
                reserved("INVALIDATE_IOTLB_PAGES", (d1 & 0x0F00_0000L) | (d2 & 0xFFAL));
                return new InvalidateIotlbPages(d0 & 0xFFFF, d0 >>> 24 & 0xFF, d1 & 0xFFFF, (d0 >>> 8 & 0xFF00) | (d1 >>> 16 & 0xFF),
                        (d2 & 4) != 0, (d2 & 1) != 0, address);
            }
            case INVALIDATE_INTERRUPT_TABLE -> {
                reserved("INVALIDATE_INTERRUPT_TABLE", (d0 & 0xFFFF_0000L) | (d1 & 0x0FFF_FFFFL) | d2 | d3);
                return new InvalidateInterruptTable(d0 & 0xFFFF);
            }
            case COMPLETE_PPR_REQUEST -> {
                reserved("COMPLETE_PPR_REQUEST", (d0 & 0xFFFF_0000L) | (d1 & 0x0FF0_0000L) | (d2 & ~4L & 0xFFFF_FFFFL)
                        | (d3 & 0xFFFF_0E00L));
                return new CompletePprRequest(d0 & 0xFFFF, d1 & 0xF_FFFF, (d2 & 4) != 0, d3 & 0x1FF, d3 >>> 12 & 0xF);
            }
            case INVALIDATE_IOMMU_ALL -> {
                reserved("INVALIDATE_IOMMU_ALL", d0 | (d1 & 0x0FFF_FFFFL) | d2 | d3);
                return new InvalidateIommuAll();
            }
            default -> throw new IllegalArgumentException("opcode 0x" + Integer.toHexString(opcode) + " is not a command this unit implements");
        }
    }

    private static void reserved(String command, long bits) {
        if (bits != 0) {
            throw new IllegalArgumentException(command + ": reserved bits set (0x" + Long.toHexString(bits) + ")");
        }
    }
}
