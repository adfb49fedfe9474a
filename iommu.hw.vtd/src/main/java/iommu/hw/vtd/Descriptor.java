package iommu.hw.vtd;

/**
 * A 256-bit invalidation-queue descriptor, as software writes it into the queue and the unit reads it:
 * the type in bits 3:0 and 11:9 of the first word, the rest by type. Every type here uses the low 128
 * bits ({@link #word0()}, {@link #word1()}); bits 255:128 are reserved. {@link #encode()} gives the four
 * 64-bit words in memory order; {@link #decode} reads them back and refuses an unknown type or a set
 * reserved bit (what the unit reports as an invalidation queue error).
 */
public sealed interface Descriptor {
    int BYTES = 32;
    /** 64-bit words of a descriptor. */
    int WORDS = BYTES / 8;
    int CONTEXT_CACHE = 0x1;
    int IOTLB = 0x2;
    int DEVICE_TLB = 0x3;
    int INTERRUPT_ENTRY_CACHE = 0x4;
    int INVALIDATION_WAIT = 0x5;
    int PASID_IOTLB = 0x6;
    int PASID_CACHE = 0x7;
    int PASID_DEVICE_TLB = 0x8;
    int PAGE_GROUP_RESPONSE = 0x9;

    /** The descriptor type code. */
    int type();

    /** Bits 63:0. */
    long word0();

    /** Bits 127:64. */
    long word1();

    /** The four 64-bit words in memory order. */
    default long[] encode() {
        long[] words = new long[WORDS];
        encode(words, 0);
        return words;
    }

    /** The four 64-bit words into {@code words} from {@code at} on (a queue's run, staged without an array per descriptor). */
    default void encode(long[] words, int at) {
        words[at] = word0();
        words[at + 1] = word1();
        words[at + 2] = 0;
        words[at + 3] = 0;
    }

    /** The type code of a descriptor's first word. */
    static int typeOf(long word0) {
        return (int) (word0 & 0xF | ((word0 >>> 9) & 0x7) << 4);
    }

    private static long typeBits(int type) {
        return (type & 0xF) | (long) (type >>> 4) << 9;
    }

    /** Reads a descriptor. @throws IllegalArgumentException naming the type or the reserved bits set */
    static Descriptor decode(long[] q) {
        if (q.length != WORDS) {
            throw new IllegalArgumentException("a descriptor is " + WORDS + " words, not " + q.length);
        }
        return decode(q, 0);
    }

    /** Reads the descriptor in {@code q[at..at+3]}. @throws IllegalArgumentException as {@link #decode(long[])} */
    static Descriptor decode(long[] q, int at) {
        Descriptor[] read = new Descriptor[1];
        decode(q, at, d -> read[0] = d);
        return read[0];
    }

    /**
     * What a unit does with each descriptor it reads ({@link #decode(long[], int, Handler)}). The types on
     * every unmap's path have methods of their own: a handler small enough for the JIT to inline where the
     * record is made lets it keep the record's fields in registers; every other type goes to
     * {@link #descriptor}, as these do unless overridden.
     */
    interface Handler {
        void descriptor(Descriptor d);

        default void pasidIotlb(PasidIotlbInvalidation d) {
            descriptor(d);
        }

        default void pasidDeviceTlb(PasidDeviceTlbInvalidation d) {
            descriptor(d);
        }

        default void invalidationWait(InvalidationWait d) {
            descriptor(d);
        }
    }

    /**
     * Reads the descriptor in {@code q[at..at+3]} and hands it to {@code h}; returns its type.
     * @throws IllegalArgumentException as {@link #decode(long[])}, before {@code h} sees anything
     */
    static int decode(long[] q, int at, Handler h) {
        long q0 = q[at];
        long q1 = q[at + 1];
        int type = typeOf(q0);
        switch (type) {
            case CONTEXT_CACHE -> h.descriptor(checked(new ContextCacheInvalidation((int) Bits.field(q0, 4, 2),
                    (int) Bits.field(q0, 16, 16), (int) Bits.field(q0, 32, 16), (int) Bits.field(q0, 48, 2)), q, at));
            case IOTLB -> h.descriptor(checked(new IotlbInvalidation((int) Bits.field(q0, 4, 2), (q0 & 0x80) != 0,
                    (q0 & 0x40) != 0, (int) Bits.field(q0, 16, 16), q1 & ~0xFFFL, (int) Bits.field(q1, 0, 6),
                    (q1 & 0x40) != 0), q, at));
            case DEVICE_TLB -> h.descriptor(checked(new DeviceTlbInvalidation((int) Bits.field(q0, 32, 16),
                    (int) Bits.field(q0, 16, 5), DeviceTlbInvalidation.pfsid(q0), q1 & ~0xFFFL, (q1 & 1) != 0), q, at));
            case INTERRUPT_ENTRY_CACHE -> h.descriptor(checked(new InterruptEntryCacheInvalidation((q0 & 0x10) != 0,
                    (int) Bits.field(q0, 27, 5), (int) Bits.field(q0, 32, 16)), q, at));
            case INVALIDATION_WAIT -> h.invalidationWait(checked(new InvalidationWait((q0 & 0x10) != 0, (q0 & 0x20) != 0,
                    (q0 & 0x40) != 0, (q0 & 0x80) != 0, (int) (q0 >>> 32), q1 & ~3L), q, at));
            case PASID_IOTLB -> h.pasidIotlb(checked(new PasidIotlbInvalidation((int) Bits.field(q0, 4, 2),
                    (int) Bits.field(q0, 16, 16), (int) Bits.field(q0, 32, 20), q1 & ~0xFFFL, (int) Bits.field(q1, 0, 6),
                    (q1 & 0x40) != 0), q, at));
            case PASID_CACHE -> h.descriptor(checked(new PasidCacheInvalidation((int) Bits.field(q0, 4, 2),
                    (int) Bits.field(q0, 16, 16), (int) Bits.field(q0, 32, 20)), q, at));
            case PASID_DEVICE_TLB -> h.pasidDeviceTlb(checked(new PasidDeviceTlbInvalidation((int) Bits.field(q0, 16, 16),
                    (int) Bits.field(q0, 32, 20), (q1 & 1) != 0, q1 & ~0xFFFL, (q1 & 0x800) != 0, (int) Bits.field(q0, 4, 5),
                    DeviceTlbInvalidation.pfsid(q0)), q, at));
            case PAGE_GROUP_RESPONSE -> h.descriptor(checked(new PageGroupResponse((int) Bits.field(q0, 16, 16),
                    (int) Bits.field(q0, 32, 20), (q0 & 0x10) != 0, (int) Bits.field(q0, 12, 4), (int) Bits.field(q1, 3, 9),
                    (q1 & 4) != 0), q, at));
            default -> throw new IllegalArgumentException(String.format("invalid descriptor type 0x%x", type));
        }
        return type;
    }

    /**
     * {@code d} if {@code q[at..at+3]} is its own encoding: a set reserved bit is one its fields do not
     * give back. Called with each type's new record, so that its words are direct calls.
     */
    private static <D extends Descriptor> D checked(D d, long[] q, int at) {
        canonical(d, 0, q[at], d.word0());
        canonical(d, 1, q[at + 1], d.word1());
        canonical(d, 2, q[at + 2], 0);
        canonical(d, 3, q[at + 3], 0);
        return d;
    }

    private static void canonical(Descriptor d, int index, long word, long canonical) {
        if (word != canonical) {
            throw new IllegalArgumentException(String.format("%s descriptor: reserved bits set in word %d (0x%016x)",
                    d.getClass().getSimpleName(), index, word & ~canonical));
        }
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
        public long word0() {
            return typeBits(CONTEXT_CACHE) | (long) granularity << 4 | (long) domain << 16 | (long) sourceId << 32
                    | (long) functionMask << 48;
        }

        @Override
        public long word1() {
            return 0;
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
        public long word0() {
            return typeBits(PASID_CACHE) | (long) granularity << 4 | (long) domain << 16 | (long) pasid << 32;
        }

        @Override
        public long word1() {
            return 0;
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
        public long word0() {
            return typeBits(PASID_IOTLB) | (long) granularity << 4 | (long) domain << 16 | (long) pasid << 32;
        }

        @Override
        public long word1() {
            return address | addressMask | Bits.bit(hint, 6);
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
     * @param maxInvsPending MIP, bits 8:4: how many invalidations the device can have pending (its ATS
     *                 Invalidate Queue Depth; Linux's QI_DEV_EIOTLB_QDEP writes it); the unit does not
     *                 limit itself by it (it sends one at a time)
     * @param pfsid    PFSID, bits 15:12 (its low 4 bits) and 63:52 (its high 12): the physical function's
     *                 source id, for a virtual function's device TLB; the model has no virtual functions
     *                 and keeps it only as written
     */
    record PasidDeviceTlbInvalidation(int sourceId, int pasid, boolean global, long address, boolean size, int maxInvsPending,
                                      int pfsid) implements Descriptor {
        public PasidDeviceTlbInvalidation {
            Bits.fits("SID", sourceId, 16);
            Bits.fits("PASID", pasid, 20);
            Bits.aligned("ADDR", address);
            Bits.fits("MIP", maxInvsPending, 5);
            Bits.fits("PFSID", pfsid, 16);
        }

        /** Without MIP and PFSID (both 0), as this model's OS driver writes it. */
        public PasidDeviceTlbInvalidation(int sourceId, int pasid, boolean global, long address, boolean size) {
            this(sourceId, pasid, global, address, size, 0, 0);
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
        public long word0() {
            return typeBits(PASID_DEVICE_TLB) | (long) maxInvsPending << 4 | (long) sourceId << 16
                    | (long) pasid << 32 | DeviceTlbInvalidation.pfsidBits(pfsid);
        }

        @Override
        public long word1() {
            return address | Bits.bit(size, 11) | Bits.bit(global, 0);
        }
    }

    /**
     * IOTLB invalidation (the 128-bit descriptor of legacy mode, still valid in scalable mode): Linux
     * writes it, domain-selective, when it drains the page requests of a device without a PASID.
     *
     * @param granularity G, bits 5:4: 1 global, 2 domain-selective, 3 page-selective within the domain
     * @param drainReads  DR, bit 7
     * @param drainWrites DW, bit 6
     * @param domain      DID, bits 31:16
     * @param address     ADDR, bits 127:76 (page-selective)
     * @param addressMask AM, bits 69:64
     * @param hint        IH, bit 70
     */
    record IotlbInvalidation(int granularity, boolean drainReads, boolean drainWrites, int domain, long address, int addressMask,
                             boolean hint) implements Descriptor {
        public static final int GLOBAL = 1;
        public static final int DOMAIN = 2;
        public static final int PAGES = 3;

        public IotlbInvalidation {
            Bits.fits("G", granularity, 2); // 00b is reserved: the unit refuses it
            Bits.fits("DID", domain, 16);
            Bits.aligned("ADDR", address);
            Bits.fits("AM", addressMask, 6);
        }

        @Override
        public int type() {
            return IOTLB;
        }

        @Override
        public long word0() {
            return typeBits(IOTLB) | (long) granularity << 4 | Bits.bit(drainWrites, 6) | Bits.bit(drainReads, 7)
                    | (long) domain << 16;
        }

        @Override
        public long word1() {
            return address | addressMask | Bits.bit(hint, 6);
        }
    }

    /**
     * Device-TLB invalidation (the legacy form, for requests without a PASID): Linux writes it with
     * the IOTLB invalidation when it drains a device's page requests without a PASID.
     *
     * @param sourceId       SID, bits 47:32
     * @param maxInvsPending MIP, bits 20:16 (Linux's QI_DEV_IOTLB_QDEP)
     * @param pfsid          PFSID, bits 15:12 and 63:52 (see {@link PasidDeviceTlbInvalidation})
     * @param address        ADDR, bits 127:76
     * @param size           S, bit 64: the range is given by the lowest clear bit of ADDR
     */
    record DeviceTlbInvalidation(int sourceId, int maxInvsPending, int pfsid, long address, boolean size) implements Descriptor {
        public DeviceTlbInvalidation {
            Bits.fits("SID", sourceId, 16);
            Bits.fits("MIP", maxInvsPending, 5);
            Bits.fits("PFSID", pfsid, 16);
            Bits.aligned("ADDR", address);
        }

        /** PFSID of a device-TLB descriptor's first word: bits 15:12 low, 63:52 high. */
        static int pfsid(long word0) {
            return (int) (Bits.field(word0, 12, 4) | Bits.field(word0, 52, 12) << 4);
        }

        static long pfsidBits(int pfsid) {
            return (long) (pfsid & 0xF) << 12 | (long) (pfsid >>> 4) << 52;
        }

        @Override
        public int type() {
            return DEVICE_TLB;
        }

        @Override
        public long word0() {
            return typeBits(DEVICE_TLB) | pfsidBits(pfsid) | (long) maxInvsPending << 16 | (long) sourceId << 32;
        }

        @Override
        public long word1() {
            return address | Bits.bit(size, 0);
        }
    }

    /**
     * Interrupt entry cache invalidation. The model remaps no interrupts, so the unit has nothing to drop.
     *
     * @param indexSelective G, bit 4: set, the entries {@code interruptIndex} with its low {@code indexMask} bits ignored; clear, all
     * @param indexMask      IM, bits 31:27
     * @param interruptIndex IIDX, bits 47:32
     */
    record InterruptEntryCacheInvalidation(boolean indexSelective, int indexMask, int interruptIndex) implements Descriptor {
        public InterruptEntryCacheInvalidation {
            Bits.fits("IM", indexMask, 5);
            Bits.fits("IIDX", interruptIndex, 16);
        }

        @Override
        public int type() {
            return INTERRUPT_ENTRY_CACHE;
        }

        @Override
        public long word0() {
            return typeBits(INTERRUPT_ENTRY_CACHE) | Bits.bit(indexSelective, 4) | (long) indexMask << 27
                    | (long) interruptIndex << 32;
        }

        @Override
        public long word1() {
            return 0;
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
        public long word0() {
            return typeBits(PAGE_GROUP_RESPONSE) | Bits.bit(pasidPresent, 4) | (long) responseCode << 12
                    | (long) requesterId << 16 | (long) pasid << 32;
        }

        @Override
        public long word1() {
            return (long) groupIndex << 3 | Bits.bit(lastInGroup, 2);
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
        public long word0() {
            return typeBits(INVALIDATION_WAIT) | Bits.bit(interrupt, 4) | Bits.bit(statusWrite, 5)
                    | Bits.bit(fence, 6) | Bits.bit(pageRequestDrain, 7) | (statusData & 0xFFFF_FFFFL) << 32;
        }

        @Override
        public long word1() {
            return statusAddress;
        }
    }
}
