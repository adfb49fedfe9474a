package iommu.hw.amdvi;

/**
 * An entry of the event log, 128 bits: the event code in bits 63:60 (Linux's {@code EVENT_TYPE_SHIFT}
 * in dword 1), the rest per event. The events this unit logs are below; {@link #decode} reads them back.
 */
public sealed interface Event {
    int BYTES = 16;
    int IO_PAGE_FAULT = 0x2;
    int ILLEGAL_COMMAND_ERROR = 0x5;
    int IOTLB_INV_TIMEOUT = 0x7;

    int code();

    long[] encode();

    /**
     * IO_PAGE_FAULT: device {@code deviceId} (bits 15:0) faulted at {@code address} (bits 127:64) for
     * PASID (bits 19:16 and 47:32) with GN (48), NX (49: an instruction fetch), US (50: a user request),
     * PR (52: the page was present), RW (53: a write), PE (54: a permission violation), RZ (55: a reserved
     * bit set in a table entry). I (51: an interrupt request) and TR (56: a translation request) are
     * clear: the unit raises neither. Linux names RW and I ({@code EVENT_FLAG_RW}, {@code EVENT_FLAG_I});
     * the others are at the spec's positions.
     */
    record IoPageFault(int deviceId, int pasid, boolean guest, boolean execute, boolean user, boolean present,
                       boolean write, boolean permission, boolean reservedBit, long address) implements Event {
        @Override
        public int code() {
            return IO_PAGE_FAULT;
        }

        @Override
        public long[] encode() {
            long flags = Bits.flag(guest, 0) | Bits.flag(execute, 1) | Bits.flag(user, 2) | Bits.flag(present, 4)
                    | Bits.flag(write, 5) | Bits.flag(permission, 6) | Bits.flag(reservedBit, 7);
            return new long[] {deviceId & 0xFFFF | (long) (pasid >>> 16 & 0xF) << 16 | (long) (pasid & 0xFFFF) << 32
                    | flags << 48 | (long) IO_PAGE_FAULT << 60, address};
        }
    }

    /** ILLEGAL_COMMAND_ERROR: the command at physical address {@code address} (bits 127:64) was refused. */
    record IllegalCommand(long address) implements Event {
        @Override
        public int code() {
            return ILLEGAL_COMMAND_ERROR;
        }

        @Override
        public long[] encode() {
            return new long[] {(long) ILLEGAL_COMMAND_ERROR << 60, address};
        }
    }

    /**
     * IOTLB_INV_TIMEOUT: device {@code deviceId} (bits 15:0) did not answer the INVALIDATE_IOTLB_PAGES at
     * physical address {@code address} (bits 127:68) in time.
     */
    record IotlbInvalidationTimeout(int deviceId, long address) implements Event {
        @Override
        public int code() {
            return IOTLB_INV_TIMEOUT;
        }

        @Override
        public long[] encode() {
            return new long[] {deviceId & 0xFFFF | (long) IOTLB_INV_TIMEOUT << 60, address & ~0xFL};
        }
    }

    /** @throws IllegalArgumentException for a code this unit does not log (0: not written yet) */
    static Event decode(long[] w) {
        int code = (int) (w[0] >>> 60);
        int flags = (int) (w[0] >>> 48) & 0xFFF;
        return switch (code) {
            case IO_PAGE_FAULT -> new IoPageFault((int) w[0] & 0xFFFF, (int) (w[0] >>> 32) & 0xFFFF | (int) (w[0] >>> 16 & 0xF) << 16,
                    (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 0x10) != 0, (flags & 0x20) != 0,
                    (flags & 0x40) != 0, (flags & 0x80) != 0, w[1]);
            case ILLEGAL_COMMAND_ERROR -> new IllegalCommand(w[1]);
            case IOTLB_INV_TIMEOUT -> new IotlbInvalidationTimeout((int) w[0] & 0xFFFF, w[1] & ~0xFL);
            default -> throw new IllegalArgumentException("event code " + code + " is not one this unit logs");
        };
    }
}
