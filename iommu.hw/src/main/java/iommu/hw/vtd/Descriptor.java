package iommu.hw.vtd;

/**
 * A 256-bit invalidation-queue descriptor, as software writes it into the queue and the unit reads it:
 * the type in bits 3:0 and 11:9 of the first word, the rest by type. {@link #encode()} gives the four
 * 64-bit words in memory order; {@link #decode} reads them back and refuses an unknown type or a set
 * reserved bit (what the unit reports as an invalidation queue error).
 */
public sealed interface Descriptor {
    int BYTES = 32;
    int CONTEXT_CACHE = 0x1;
    int INVALIDATION_WAIT = 0x5;
    int PASID_IOTLB = 0x6;
    int PASID_CACHE = 0x7;
    int PASID_DEVICE_TLB = 0x8;
    int PAGE_GROUP_RESPONSE = 0x9;

    /** The descriptor type code. */
    int type();

    /** The four 64-bit words in memory order. */
    long[] encode();

    /** The type code of a descriptor's first word. */
    static int typeOf(long word0) {
        return (int) (word0 & 0xF | ((word0 >>> 9) & 0x7) << 4);
    }

    private static long typeBits(int type) {
        return (type & 0xF) | (long) (type >>> 4) << 9;
    }

    /** Reads a descriptor. @throws IllegalArgumentException naming the type or the reserved bits set */
    static Descriptor decode(long[] q) {
        int type = typeOf(q[0]);
        Descriptor d = switch (type) {
            case CONTEXT_CACHE -> new ContextCacheInvalidation((int) Bits.field(q[0], 4, 2), (int) Bits.field(q[0], 16, 16),
                    (int) Bits.field(q[0], 32, 16), (int) Bits.field(q[0], 48, 2));
            case INVALIDATION_WAIT -> new InvalidationWait((q[0] & 0x10) != 0, (q[0] & 0x20) != 0, (q[0] & 0x40) != 0,
                    (q[0] & 0x80) != 0, (int) (q[0] >>> 32), q[1] & ~3L);
            case PASID_IOTLB -> new PasidIotlbInvalidation((int) Bits.field(q[0], 4, 2), (int) Bits.field(q[0], 16, 16),
                    (int) Bits.field(q[0], 32, 20), q[1] & ~0xFFFL, (int) Bits.field(q[1], 0, 6), (q[1] & 0x40) != 0);
            case PASID_CACHE -> new PasidCacheInvalidation((int) Bits.field(q[0], 4, 2), (int) Bits.field(q[0], 16, 16),
                    (int) Bits.field(q[0], 32, 20));
            case PASID_DEVICE_TLB -> new PasidDeviceTlbInvalidation((int) Bits.field(q[0], 16, 16), (int) Bits.field(q[0], 32, 20),
                    (q[1] & 1) != 0, q[1] & ~0xFFFL, (q[1] & 0x800) != 0);
            case PAGE_GROUP_RESPONSE -> new PageGroupResponse((int) Bits.field(q[0], 16, 16), (int) Bits.field(q[0], 32, 20),
                    (q[0] & 0x10) != 0, (int) Bits.field(q[0], 12, 4), (int) Bits.field(q[1], 3, 9), (q[1] & 4) != 0);
            default -> throw new IllegalArgumentException(String.format("invalid descriptor type 0x%x", type));
        };
        long[] canonical = d.encode();
        for (int i = 0; i < 4; i++) {
            if (canonical[i] != q[i]) {
                throw new IllegalArgumentException(String.format("%s descriptor: reserved bits set in word %d (0x%016x)",
                        d.getClass().getSimpleName(), i, q[i] & ~canonical[i]));
            }
        }
        return d;
    }

    /**
     * Context-cache invalidation.
     *
     * @param granularity G, bits 5:4: 1 global, 2 domain-selective, 3 device-selective
     * @param domain      DID, bits 31:16
     * @param sourceId    SID, bits 47:32: the requester id (device-selective)
     * @param functionMask FM, bits 49:48
     */
    record ContextCacheInvalidation(int granularity, int domain, int sourceId, int functionMask) implements Descriptor {
        public static final int GLOBAL = 1;
        public static final int DEVICE = 3;

        public ContextCacheInvalidation {
            Bits.fits("G", granularity, 2);
            Bits.fits("DID", domain, 16);
            Bits.fits("SID", sourceId, 16);
            Bits.fits("FM", functionMask, 2);
        }

        @Override
        public int type() {
            return CONTEXT_CACHE;
        }

        @Override
        public long[] encode() {
            return new long[] {typeBits(CONTEXT_CACHE) | (long) granularity << 4 | (long) domain << 16 | (long) sourceId << 32
                    | (long) functionMask << 48, 0, 0, 0};
        }
    }

    /**
     * PASID-cache invalidation.
     *
     * @param granularity G, bits 5:4: 0 domain-selective, 1 PASID-selective, 3 global
     * @param domain      DID, bits 31:16
     * @param pasid       PASID, bits 51:32
     */
    record PasidCacheInvalidation(int granularity, int domain, int pasid) implements Descriptor {
        public static final int DOMAIN = 0;
        public static final int PASID = 1;
        public static final int GLOBAL = 3;

        public PasidCacheInvalidation {
            Bits.fits("G", granularity, 2);
            Bits.fits("DID", domain, 16);
            Bits.fits("PASID", pasid, 20);
        }

        @Override
        public int type() {
            return PASID_CACHE;
        }

        @Override
        public long[] encode() {
            return new long[] {typeBits(PASID_CACHE) | (long) granularity << 4 | (long) domain << 16 | (long) pasid << 32, 0, 0, 0};
        }
    }

    /**
     * PASID-based IOTLB invalidation (also of the paging-structure caches unless {@code hint}).
     *
     * @param granularity G, bits 5:4: 2 every translation of the PASID, 3 a page-selective range within it
     * @param domain      DID, bits 31:16
     * @param pasid       PASID, bits 51:32
     * @param address     ADDR, bits 127:76: the range's base, aligned to its size
     * @param addressMask AM, bits 69:64: the range is 2^AM pages of 4 KiB
     * @param hint        IH, bit 70: the leaves alone changed (paging-structure caches may stay)
     */
    record PasidIotlbInvalidation(int granularity, int domain, int pasid, long address, int addressMask, boolean hint)
            implements Descriptor {
        public static final int PASID = 2;
        public static final int PAGES = 3;

        public PasidIotlbInvalidation {
            Bits.fits("G", granularity, 2);
            Bits.fits("DID", domain, 16);
            Bits.fits("PASID", pasid, 20);
            Bits.aligned("ADDR", address);
            Bits.fits("AM", addressMask, 6);
        }

        /** Bytes of the range (page-selective). */
        public long length() {
            return 4096L << addressMask;
        }

        @Override
        public int type() {
            return PASID_IOTLB;
        }

        @Override
        public long[] encode() {
            return new long[] {typeBits(PASID_IOTLB) | (long) granularity << 4 | (long) domain << 16 | (long) pasid << 32,
                    address | addressMask | Bits.bit(hint, 6), 0, 0};
        }
    }

    /**
     * PASID-based device-TLB invalidation: what the unit sends the device as an ATS invalidation request.
     *
     * @param sourceId SID, bits 31:16: the device
     * @param pasid    PASID, bits 51:32
     * @param global   G, bit 64: global translations too
     * @param address  ADDR, bits 127:76
     * @param size     S, bit 75: set, the range is given by the lowest clear bit of ADDR (see {@link #length()})
     */
    record PasidDeviceTlbInvalidation(int sourceId, int pasid, boolean global, long address, boolean size) implements Descriptor {
        public PasidDeviceTlbInvalidation {
            Bits.fits("SID", sourceId, 16);
            Bits.fits("PASID", pasid, 20);
            Bits.aligned("ADDR", address);
        }

        /** The invalidation of {@code [base, base + length)}, {@code length} a power of two from 4 KiB, {@code base} aligned to it. */
        public static PasidDeviceTlbInvalidation of(int sourceId, int pasid, long base, long length) {
            if (Long.bitCount(length) != 1 || length < 4096 || (base & (length - 1)) != 0) {
                throw new IllegalArgumentException(String.format("range 0x%x + 0x%x is not a power of two from 4 KiB, aligned", base, length));
            }
            return length == 4096 ? new PasidDeviceTlbInvalidation(sourceId, pasid, false, base, false)
                    : new PasidDeviceTlbInvalidation(sourceId, pasid, false, base | ((length >>> 1) - 1) & ~0xFFFL, true);
        }

        /** Every translation of {@code pasid}: ADDR[62:12] all ones with S, the whole address space. */
        public static PasidDeviceTlbInvalidation all(int sourceId, int pasid) {
            return new PasidDeviceTlbInvalidation(sourceId, pasid, false, 0x7FFF_FFFF_FFFF_F000L, true);
        }

        /** The range's base: ADDR with the size-encoding bits cleared (0 for the whole space). */
        public long base() {
            long length = length();
            return length == Long.MAX_VALUE ? 0 : address & ~(length - 1);
        }

        /**
         * Bytes of the range: 4 KiB without S, else 2^(k+1) where k is ADDR's lowest clear bit from 12;
         * {@link Long#MAX_VALUE} when that is bit 63 (the whole address space).
         */
        public long length() {
            if (!size) {
                return 4096;
            }
            int k = Long.numberOfTrailingZeros(~(address >>> 12)) + 12;
            return k >= 62 ? Long.MAX_VALUE : 1L << (k + 1);
        }

        @Override
        public int type() {
            return PASID_DEVICE_TLB;
        }

        @Override
        public long[] encode() {
            return new long[] {typeBits(PASID_DEVICE_TLB) | (long) sourceId << 16 | (long) pasid << 32,
                    address | Bits.bit(size, 11) | Bits.bit(global, 0), 0, 0};
        }
    }

    /**
     * Page group response: the OS's answer to a page request group, sent back to the device.
     *
     * @param requesterId  RID, bits 31:16
     * @param pasid        PASID, bits 51:32
     * @param pasidPresent PASID present, bit 4
     * @param responseCode bits 15:12: {@link #SUCCESS}, {@link #INVALID_REQUEST}, {@link #FAILURE}
     * @param groupIndex   PRGI, bits 75:67
     * @param lastInGroup  LPIG, bit 66
     */
    record PageGroupResponse(int requesterId, int pasid, boolean pasidPresent, int responseCode, int groupIndex, boolean lastInGroup)
            implements Descriptor {
        public static final int SUCCESS = 0;
        public static final int INVALID_REQUEST = 1;
        public static final int FAILURE = 0xF;

        public PageGroupResponse {
            Bits.fits("RID", requesterId, 16);
            Bits.fits("PASID", pasid, 20);
            Bits.fits("response code", responseCode, 4);
            Bits.fits("PRGI", groupIndex, 9);
        }

        @Override
        public int type() {
            return PAGE_GROUP_RESPONSE;
        }

        @Override
        public long[] encode() {
            return new long[] {typeBits(PAGE_GROUP_RESPONSE) | Bits.bit(pasidPresent, 4) | (long) responseCode << 12
                    | (long) requesterId << 16 | (long) pasid << 32, (long) groupIndex << 3 | Bits.bit(lastInGroup, 2), 0, 0};
        }
    }

    /**
     * Invalidation wait: completes once every descriptor before it has, then (with SW) writes
     * {@code statusData} to {@code statusAddress}, which software polls.
     *
     * @param interrupt        IF, bit 4
     * @param statusWrite      SW, bit 5
     * @param fence            FN, bit 6: descriptors after it wait for it
     * @param pageRequestDrain PD, bit 7
     * @param statusData       STDATA, bits 63:32
     * @param statusAddress    STADDR, bits 127:66 (4-byte aligned)
     */
    record InvalidationWait(boolean interrupt, boolean statusWrite, boolean fence, boolean pageRequestDrain, int statusData,
                            long statusAddress) implements Descriptor {
        public InvalidationWait {
            if ((statusAddress & 3) != 0 || statusAddress < 0) {
                throw new IllegalArgumentException(String.format("STADDR 0x%x is not a 4-byte aligned address", statusAddress));
            }
        }

        @Override
        public int type() {
            return INVALIDATION_WAIT;
        }

        @Override
        public long[] encode() {
            return new long[] {typeBits(INVALIDATION_WAIT) | Bits.bit(interrupt, 4) | Bits.bit(statusWrite, 5) | Bits.bit(fence, 6)
                    | Bits.bit(pageRequestDrain, 7) | (statusData & 0xFFFF_FFFFL) << 32, statusAddress, 0, 0};
        }
    }
}
