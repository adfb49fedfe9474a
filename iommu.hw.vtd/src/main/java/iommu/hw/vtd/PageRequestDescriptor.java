package iommu.hw.vtd;

/**
 * A page request descriptor (256 bits in the page request queue), written by the unit when a device's
 * request finds a page not present, read by software, which answers the group with a
 * {@link Descriptor.PageGroupResponse} once its last request arrived.
 *
 * @param requesterId  RID, bits 31:16
 * @param pasid        PASID, bits 51:32
 * @param pasidPresent bit 8
 * @param execute      execute requested, bit 52
 * @param privileged   privileged mode requested, bit 53
 * @param read         read requested, bit 64
 * @param write        write requested, bit 65
 * @param lastInGroup  LPIG, bit 66: the group's last request (software answers the group then)
 * @param groupIndex   PRGI, bits 75:67
 * @param address      ADDR, bits 127:76: the page
 */
public record PageRequestDescriptor(int requesterId, int pasid, boolean pasidPresent, boolean execute, boolean privileged,
                                    boolean read, boolean write, boolean lastInGroup, int groupIndex, long address) {
    public static final int BYTES = 32;
    /** The type field's value (bits 7:0) for a page request. */
    public static final int TYPE = 1;

    public PageRequestDescriptor {
        Bits.fits("RID", requesterId, 16);
        Bits.fits("PASID", pasid, 20);
        Bits.fits("PRGI", groupIndex, 9);
        Bits.aligned("ADDR", address);
    }

    public long[] encode() {
        return new long[] {TYPE | Bits.bit(pasidPresent, 8) | (long) requesterId << 16 | (long) pasid << 32 | Bits.bit(execute, 52)
                | Bits.bit(privileged, 53), Bits.bit(read, 0) | Bits.bit(write, 1) | Bits.bit(lastInGroup, 2)
                | (long) groupIndex << 3 | address, 0, 0};
    }

    /** @throws IllegalArgumentException if the type is not a page request's */
    public static PageRequestDescriptor decode(long[] q) {
        if ((q[0] & 0xFF) != TYPE) {
            throw new IllegalArgumentException(String.format("page request queue: descriptor type 0x%x is not a page request",
                    q[0] & 0xFF));
        }
        return new PageRequestDescriptor((int) Bits.field(q[0], 16, 16), (int) Bits.field(q[0], 32, 20), (q[0] & 0x100) != 0,
                (q[0] & 1L << 52) != 0, (q[0] & 1L << 53) != 0, (q[1] & 1) != 0, (q[1] & 2) != 0, (q[1] & 4) != 0,
                (int) Bits.field(q[1], 3, 9), q[1] & ~0xFFFL);
    }
}
