package iommu.hw.amdvi;

/**
 * An entry of the peripheral page request (PPR) log, 128 bits, as Linux's {@code PPR_*} macros read it:
 * word 0 holds DeviceID (15:0), PASID bits 15:0 (31:16), the tag (41:32: the PRG index in 40:32, bit 41
 * set on the group's last request), PASID bits 19:16 (45:42), flags (59:48) and the type (63:60,
 * {@link #FAULT}); word 1 the page's address.
 */
public record PprLogEntry(int deviceId, int pasid, int groupIndex, boolean last, boolean read, boolean write, boolean execute,
                          boolean user, boolean guest, long address) {
    public static final int BYTES = 16;
    /** PPR_REQ_FAULT: a page request. */
    public static final int FAULT = 0x1;
    /** PPR_FLAG_EXEC, _READ, _WRITE, _US, _GN (bits of the 12-bit flags). */
    public static final int FLAG_EXEC = 0x002;
    public static final int FLAG_READ = 0x004;
    public static final int FLAG_WRITE = 0x020;
    public static final int FLAG_US = 0x040;
    public static final int FLAG_GN = 0x100;

    public PprLogEntry {
        if (deviceId < 0 || deviceId > 0xFFFF || pasid < 0 || pasid > 0xF_FFFF || groupIndex < 0 || groupIndex > 0x1FF
                || (address & 0xFFF) != 0) {
            throw new IllegalArgumentException("PPR log entry: DeviceID " + deviceId + ", PASID " + pasid + ", PRG index "
                    + groupIndex + " or address " + Long.toHexString(address) + " does not fit its field");
        }
    }

    public long[] encode() {
        long flags = Bits.flag(execute, 1) | Bits.flag(read, 2) | Bits.flag(write, 5) | Bits.flag(user, 6) | Bits.flag(guest, 8);
        long tag = groupIndex | Bits.flag(last, 9);
        return new long[] {deviceId | (long) (pasid & 0xFFFF) << 16 | tag << 32 | (long) (pasid >>> 16) << 42 | flags << 48
                | (long) FAULT << 60, address};
    }

    /** @throws IllegalArgumentException for an entry whose type is not a page request (0: not written yet) */
    public static PprLogEntry decode(long[] w) {
        int type = (int) (w[0] >>> 60);
        if (type != FAULT) {
            throw new IllegalArgumentException("PPR log entry of type " + type + " is not a page request");
        }
        int flags = (int) (w[0] >>> 48) & 0xFFF;
        int tag = (int) (w[0] >>> 32) & 0x3FF;
        return new PprLogEntry((int) w[0] & 0xFFFF, (int) (w[0] >>> 16) & 0xFFFF | (int) ((w[0] >>> 42) & 0xF) << 16,
                tag & 0x1FF, (tag & 0x200) != 0, (flags & FLAG_READ) != 0, (flags & FLAG_WRITE) != 0, (flags & FLAG_EXEC) != 0,
                (flags & FLAG_US) != 0, (flags & FLAG_GN) != 0, w[1] & ~0xFFFL);
    }
}
