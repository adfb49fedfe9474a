package iommu.hw.vtd;

import iommu.hw.RequesterId;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.List;
import java.util.function.LongFunction;

import org.junit.jupiter.api.Test;

/**
 * The formats bit for bit, row by row as the VT-d specification lays them out: each row names a
 * structure, a field, its bit range in the structure and a value; the structure encoded with that field
 * set differs from it encoded with the field clear in exactly those bits, holding exactly that value,
 * and decodes back to what was encoded.
 */
class VtdFormatTest {
    /** One field: the structure with the field at {@code value} (others fixed), as memory words. */
    record Row(String structure, String field, int high, int low, long value, LongFunction<long[]> encode) {
    }

    static final long ADDR = 0x1234_5000L;

    static final List<Row> ROWS = List.of(
            // scalable-mode PASID table entry (512 bits)
            new Row("PASID entry", "P (present)", 0, 0, 1, v -> pasid(v != 0, false, 0, 0, false, 0, false, false, 0)),
            new Row("PASID entry", "FPD", 1, 1, 1, v -> pasid(false, v != 0, 0, 0, false, 0, false, false, 0)),
            new Row("PASID entry", "PGTT (first level = 001b)", 8, 6, 1, v -> pasid(false, false, (int) v, 0, false, 0, false, false, 0)),
            new Row("PASID entry", "PGTT (pass-through = 100b)", 8, 6, 4, v -> pasid(false, false, (int) v, 0, false, 0, false, false, 0)),
            new Row("PASID entry", "DID", 79, 64, 0xBEEF, v -> pasid(false, false, 0, (int) v, false, 0, false, false, 0)),
            new Row("PASID entry", "SRE", 128, 128, 1, v -> pasid(false, false, 0, 0, v != 0, 0, false, false, 0)),
            new Row("PASID entry", "FLPM (5-level = 01b)", 131, 130, 1, v -> pasid(false, false, 0, 0, false, (int) v, false, false, 0)),
            new Row("PASID entry", "WPE", 132, 132, 1, v -> pasid(false, false, 0, 0, false, 0, v != 0, false, 0)),
            new Row("PASID entry", "NXE", 133, 133, 1, v -> pasid(false, false, 0, 0, false, 0, false, v != 0, 0)),
            new Row("PASID entry", "FLPTPTR", 191, 140, ADDR >>> 12, v -> pasid(false, false, 0, 0, false, 0, false, false, v << 12)),
            // scalable-mode context entry (256 bits)
            new Row("context entry", "P", 0, 0, 1, v -> context(v != 0, false, false, false, false, 0, 0, 0)),
            new Row("context entry", "FPD", 1, 1, 1, v -> context(false, v != 0, false, false, false, 0, 0, 0)),
            new Row("context entry", "DTE", 2, 2, 1, v -> context(false, false, v != 0, false, false, 0, 0, 0)),
            new Row("context entry", "PASIDE", 3, 3, 1, v -> context(false, false, false, v != 0, false, 0, 0, 0)),
            new Row("context entry", "PRE", 4, 4, 1, v -> context(false, false, false, false, v != 0, 0, 0, 0)),
            new Row("context entry", "PDTS", 11, 9, 5, v -> context(false, false, false, false, false, (int) v, 0, 0)),
            new Row("context entry", "PASIDDIRPTR", 63, 12, ADDR >>> 12, v -> context(false, false, false, false, false, 0, v << 12, 0)),
            new Row("context entry", "RID_PASID", 83, 64, 0xABCDE, v -> context(false, false, false, false, false, 0, 0, (int) v)),
            // scalable-mode root entry (128 bits)
            new Row("root entry", "LP", 0, 0, 1, v -> new RootEntry(v != 0, 0, false, 0).encode()),
            new Row("root entry", "LCTP", 63, 12, ADDR >>> 12, v -> new RootEntry(false, v << 12, false, 0).encode()),
            new Row("root entry", "UP", 64, 64, 1, v -> new RootEntry(false, 0, v != 0, 0).encode()),
            new Row("root entry", "UCTP", 127, 76, ADDR >>> 12, v -> new RootEntry(false, 0, false, v << 12).encode()),
            // scalable-mode PASID directory entry (64 bits)
            new Row("PASID directory entry", "P", 0, 0, 1, v -> new long[] {new PasidDirectoryEntry(v != 0, false, 0).encode()}),
            new Row("PASID directory entry", "FPD", 1, 1, 1, v -> new long[] {new PasidDirectoryEntry(false, v != 0, 0).encode()}),
            new Row("PASID directory entry", "SMPTBLPTR", 63, 12, ADDR >>> 12,
                    v -> new long[] {new PasidDirectoryEntry(false, false, v << 12).encode()}),
            // extended capability register (64 bits)
            new Row("ECAP", "QI", 1, 1, 1, v -> ecap(v != 0, false, false, 0, false, false, false, false)),
            new Row("ECAP", "DT", 2, 2, 1, v -> ecap(false, v != 0, false, 0, false, false, false, false)),
            new Row("ECAP", "PRS", 29, 29, 1, v -> ecap(false, false, v != 0, 0, false, false, false, false)),
            new Row("ECAP", "PSS", 39, 35, 19, v -> ecap(false, false, false, (int) v, false, false, false, false)),
            new Row("ECAP", "PASID", 40, 40, 1, v -> ecap(false, false, false, 0, v != 0, false, false, false)),
            new Row("ECAP", "DIT", 41, 41, 1, v -> ecap(false, false, false, 0, false, v != 0, false, false)),
            new Row("ECAP", "SMTS", 43, 43, 1, v -> ecap(false, false, false, 0, false, false, v != 0, false)),
            new Row("ECAP", "FLTS", 47, 47, 1, v -> ecap(false, false, false, 0, false, false, false, v != 0)),
            // invalidation descriptors (256 bits): the type codes, split in bits 3:0 and 11:9
            new Row("descriptor type", "context-cache invalidate (0x01)", 3, 0, 1, v -> new Descriptor.ContextCacheInvalidation(0, 0, 0, 0).encode()),
            new Row("descriptor type", "IOTLB invalidate (0x02)", 3, 0, 2, v -> legacyIotlb(0, false, false, 0, 0, 0, false)),
            new Row("descriptor type", "device-TLB invalidate (0x03)", 3, 0, 3, v -> legacyDeviceTlb(0, 0, 0, 0, false)),
            new Row("descriptor type", "interrupt entry cache invalidate (0x04)", 3, 0, 4, v -> iec(false, 0, 0)),
            new Row("descriptor type", "invalidation wait (0x05)", 3, 0, 5, v -> wait(false, false, false, 0, 0)),
            new Row("descriptor type", "PASID-based IOTLB invalidate (0x06)", 3, 0, 6, v -> iotlb(0, 0, 0, 0, 0, false)),
            new Row("descriptor type", "PASID-cache invalidate (0x07)", 3, 0, 7, v -> new Descriptor.PasidCacheInvalidation(0, 0, 0).encode()),
            new Row("descriptor type", "PASID-based device-TLB invalidate (0x08)", 3, 0, 8, v -> deviceTlb(0, 0, false, 0, false)),
            new Row("descriptor type", "page group response (0x09)", 3, 0, 9, v -> response(0, 0, false, 0, 0, false)),
            new Row("invalidation wait", "IF", 4, 4, 1, v -> new Descriptor.InvalidationWait(v != 0, false, false, false, 0, 0).encode()),
            new Row("invalidation wait", "SW", 5, 5, 1, v -> wait(v != 0, false, false, 0, 0)),
            new Row("invalidation wait", "FN", 6, 6, 1, v -> wait(false, v != 0, false, 0, 0)),
            new Row("invalidation wait", "PD", 7, 7, 1, v -> wait(false, false, v != 0, 0, 0)),
            new Row("invalidation wait", "STDATA", 63, 32, 0xCAFEF00DL, v -> wait(false, false, false, (int) v, 0)),
            new Row("invalidation wait", "STADDR", 127, 66, 0x1234_5678L, v -> wait(false, false, false, 0, v << 2)),
            new Row("PASID-based IOTLB", "G (page-selective within PASID = 11b)", 5, 4, 3, v -> iotlb((int) v, 0, 0, 0, 0, false)),
            new Row("PASID-based IOTLB", "DID", 31, 16, 0x1234, v -> iotlb(0, (int) v, 0, 0, 0, false)),
            new Row("PASID-based IOTLB", "PASID", 51, 32, 0xFFFFF, v -> iotlb(0, 0, (int) v, 0, 0, false)),
            new Row("PASID-based IOTLB", "AM", 69, 64, 9, v -> iotlb(0, 0, 0, 0, (int) v, false)),
            new Row("PASID-based IOTLB", "IH", 70, 70, 1, v -> iotlb(0, 0, 0, 0, 0, v != 0)),
            new Row("PASID-based IOTLB", "ADDR", 127, 76, ADDR >>> 12, v -> iotlb(0, 0, 0, v << 12, 0, false)),
            new Row("PASID-cache", "G (PASID-selective = 01b)", 5, 4, 1, v -> new Descriptor.PasidCacheInvalidation((int) v, 0, 0).encode()),
            new Row("PASID-cache", "DID", 31, 16, 0x4321, v -> new Descriptor.PasidCacheInvalidation(0, (int) v, 0).encode()),
            new Row("PASID-cache", "PASID", 51, 32, 0x12345, v -> new Descriptor.PasidCacheInvalidation(0, 0, (int) v).encode()),
            new Row("PASID-based device-TLB", "SID", 31, 16, 0x0210, v -> deviceTlb((int) v, 0, false, 0, false)),
            new Row("PASID-based device-TLB", "PASID", 51, 32, 0x54321, v -> deviceTlb(0, (int) v, false, 0, false)),
            new Row("PASID-based device-TLB", "G", 64, 64, 1, v -> deviceTlb(0, 0, v != 0, 0, false)),
            new Row("PASID-based device-TLB", "S", 75, 75, 1, v -> deviceTlb(0, 0, false, 0, v != 0)),
            new Row("PASID-based device-TLB", "ADDR", 127, 76, ADDR >>> 12, v -> deviceTlb(0, 0, false, v << 12, false)),
            new Row("PASID-based device-TLB", "MIP (Linux: QDEP)", 8, 4, 0x1F, v -> deviceTlb(0, 0, (int) v, 0)),
            new Row("PASID-based device-TLB", "PFSID[3:0]", 15, 12, 0xA, v -> deviceTlb(0, 0, 0, (int) v)),
            new Row("PASID-based device-TLB", "PFSID[15:4]", 63, 52, 0xABC, v -> deviceTlb(0, 0, 0, (int) v << 4)),
            new Row("IOTLB", "G (domain-selective = 10b)", 5, 4, 2, v -> legacyIotlb((int) v, false, false, 0, 0, 0, false)),
            new Row("IOTLB", "DW", 6, 6, 1, v -> legacyIotlb(0, false, v != 0, 0, 0, 0, false)),
            new Row("IOTLB", "DR", 7, 7, 1, v -> legacyIotlb(0, v != 0, false, 0, 0, 0, false)),
            new Row("IOTLB", "DID", 31, 16, 0x1234, v -> legacyIotlb(0, false, false, (int) v, 0, 0, false)),
            new Row("IOTLB", "AM", 69, 64, 9, v -> legacyIotlb(0, false, false, 0, 0, (int) v, false)),
            new Row("IOTLB", "IH", 70, 70, 1, v -> legacyIotlb(0, false, false, 0, 0, 0, v != 0)),
            new Row("IOTLB", "ADDR", 127, 76, ADDR >>> 12, v -> legacyIotlb(0, false, false, 0, v << 12, 0, false)),
            new Row("device-TLB", "PFSID[3:0]", 15, 12, 0x5, v -> legacyDeviceTlb(0, 0, (int) v, 0, false)),
            new Row("device-TLB", "MIP (Linux: QDEP)", 20, 16, 0x11, v -> legacyDeviceTlb(0, (int) v, 0, 0, false)),
            new Row("device-TLB", "SID", 47, 32, 0x0210, v -> legacyDeviceTlb((int) v, 0, 0, 0, false)),
            new Row("device-TLB", "PFSID[15:4]", 63, 52, 0xFED, v -> legacyDeviceTlb(0, 0, (int) v << 4, 0, false)),
            new Row("device-TLB", "S", 64, 64, 1, v -> legacyDeviceTlb(0, 0, 0, 0, v != 0)),
            new Row("device-TLB", "ADDR", 127, 76, ADDR >>> 12, v -> legacyDeviceTlb(0, 0, 0, v << 12, false)),
            new Row("interrupt entry cache", "G (index-selective)", 4, 4, 1, v -> iec(v != 0, 0, 0)),
            new Row("interrupt entry cache", "IM", 31, 27, 0x1F, v -> iec(false, (int) v, 0)),
            new Row("interrupt entry cache", "IIDX", 47, 32, 0xBEEF, v -> iec(false, 0, (int) v)),
            new Row("page group response", "PASID present", 4, 4, 1, v -> response(0, 0, v != 0, 0, 0, false)),
            new Row("page group response", "response code (failure = 1111b)", 15, 12, 0xF, v -> response(0, 0, false, (int) v, 0, false)),
            new Row("page group response", "RID", 31, 16, 0x0210, v -> response((int) v, 0, false, 0, 0, false)),
            new Row("page group response", "PASID", 51, 32, 0x7, v -> response(0, (int) v, false, 0, 0, false)),
            new Row("page group response", "LPIG", 66, 66, 1, v -> response(0, 0, false, 0, 0, v != 0)),
            new Row("page group response", "PRGI", 75, 67, 0x1FF, v -> response(0, 0, false, 0, (int) v, false)),
            // page request descriptor (256 bits, type 1 in bits 7:0)
            new Row("page request", "RID", 31, 16, 0x0210, v -> request((int) v, 0, false, false, false, false, 0, 0)),
            new Row("page request", "PASID", 51, 32, 0x12345, v -> request(0, (int) v, false, false, false, false, 0, 0)),
            new Row("page request", "PASID present", 8, 8, 1, v -> request(0, 0, v != 0, false, false, false, 0, 0)),
            new Row("page request", "execute requested", 52, 52, 1, v -> new PageRequestDescriptor(0, 0, false, v != 0, false,
                    false, false, false, 0, 0).encode()),
            new Row("page request", "read requested", 64, 64, 1, v -> request(0, 0, false, v != 0, false, false, 0, 0)),
            new Row("page request", "write requested", 65, 65, 1, v -> request(0, 0, false, false, v != 0, false, 0, 0)),
            new Row("page request", "LPIG", 66, 66, 1, v -> request(0, 0, false, false, false, v != 0, 0, 0)),
            new Row("page request", "PRGI", 75, 67, 0x155, v -> request(0, 0, false, false, false, false, (int) v, 0)),
            new Row("page request", "ADDR", 127, 76, ADDR >>> 12, v -> request(0, 0, false, false, false, false, 0, v << 12)));

    static long[] request(int rid, int pasid, boolean present, boolean read, boolean write, boolean lpig, int prgi, long address) {
        return new PageRequestDescriptor(rid, pasid, present, false, false, read, write, lpig, prgi, address).encode();
    }

    static long[] pasid(boolean p, boolean fpd, int pgtt, int did, boolean sre, int flpm, boolean wpe, boolean nxe, long fl) {
        return new PasidEntry(p, fpd, pgtt, did, sre, flpm, wpe, nxe, fl).encode();
    }

    static long[] context(boolean p, boolean fpd, boolean dte, boolean pasid, boolean pre, int pdts, long dir, int ridPasid) {
        return new ContextEntry(p, fpd, dte, pasid, pre, pdts, dir, ridPasid).encode();
    }

    static long[] wait(boolean sw, boolean fn, boolean pd, int data, long address) {
        return new Descriptor.InvalidationWait(false, sw, fn, pd, data, address).encode();
    }

    static long[] iotlb(int g, int did, int pasid, long address, int am, boolean ih) {
        return new Descriptor.PasidIotlbInvalidation(g, did, pasid, address, am, ih).encode();
    }

    static long[] deviceTlb(int sid, int pasid, boolean g, long address, boolean s) {
        return new Descriptor.PasidDeviceTlbInvalidation(sid, pasid, g, address, s).encode();
    }

    static long[] deviceTlb(int sid, int pasid, int mip, int pfsid) {
        return new Descriptor.PasidDeviceTlbInvalidation(sid, pasid, false, 0, false, mip, pfsid).encode();
    }

    static long[] legacyIotlb(int g, boolean dr, boolean dw, int did, long address, int am, boolean ih) {
        return new Descriptor.IotlbInvalidation(g, dr, dw, did, address, am, ih).encode();
    }

    static long[] legacyDeviceTlb(int sid, int mip, int pfsid, long address, boolean s) {
        return new Descriptor.DeviceTlbInvalidation(sid, mip, pfsid, address, s).encode();
    }

    static long[] iec(boolean g, int im, int iidx) {
        return new Descriptor.InterruptEntryCacheInvalidation(g, im, iidx).encode();
    }

    static long[] ecap(boolean qi, boolean dt, boolean prs, int pss, boolean pasid, boolean dit, boolean smts, boolean flts) {
        ExtendedCapability e = new ExtendedCapability(qi, dt, prs, pss, pasid, dit, smts, flts);
        assertEquals(e, ExtendedCapability.decode(e.encode()));
        return new long[] {e.encode()};
    }

    static long[] response(int rid, int pasid, boolean present, int code, int prgi, boolean lpig) {
        return new Descriptor.PageGroupResponse(rid, pasid, present, code, prgi, lpig).encode();
    }

    static BigInteger bits(long[] words) {
        BigInteger b = BigInteger.ZERO;
        for (int i = words.length - 1; i >= 0; i--) {
            b = b.shiftLeft(64).or(new BigInteger(Long.toUnsignedString(words[i])));
        }
        return b;
    }

    @Test
    void everyFieldIsWhereTheSpecificationPutsIt() {
        for (Row row : ROWS) {
            String name = row.structure() + " " + row.field() + " [" + row.high() + ":" + row.low() + "]";
            boolean typeRow = row.structure().equals("descriptor type");
            BigInteger set = bits(row.encode().apply(row.value()));
            BigInteger clear = typeRow ? BigInteger.ZERO : bits(row.encode().apply(0));
            BigInteger diff = set.xor(clear);
            BigInteger field = diff.shiftRight(row.low()).and(BigInteger.ONE.shiftLeft(row.high() - row.low() + 1).subtract(BigInteger.ONE));
            assertEquals(BigInteger.valueOf(row.value()), typeRow ? set.and(BigInteger.valueOf(0xF)) : field, name + ": the value");
            if (!typeRow) {
                assertEquals(field.shiftLeft(row.low()), diff, name + ": no bit outside the field");
            }
        }
    }

    @Test
    void descriptorTypesAboveFifteenUseBits11To9AndEveryDescriptorDecodesToItself() {
        long[] words = new Descriptor.PageGroupResponse(0x10, 5, true, 1, 7, true).encode();
        assertEquals(9, Descriptor.typeOf(words[0]));
        assertEquals(0x19, Descriptor.typeOf(words[0] | 1L << 9 | 0) & 0x1F, "type bits 11:9 are the high bits of the type");
        for (Descriptor d : List.of(new Descriptor.ContextCacheInvalidation(1, 2, 0x10, 0), new Descriptor.PasidCacheInvalidation(1, 1, 9),
                new Descriptor.PasidIotlbInvalidation(3, 1, 9, ADDR, 4, true), new Descriptor.PasidDeviceTlbInvalidation(0x10, 9, false, ADDR, true),
                new Descriptor.PageGroupResponse(0x10, 9, true, 0xF, 3, true), new Descriptor.InvalidationWait(true, true, true, true, -2, 0x8000),
                new Descriptor.PasidDeviceTlbInvalidation(0x10, 9, false, ADDR, true, 31, 0xABCD),
                new Descriptor.IotlbInvalidation(3, true, true, 1, ADDR, 4, true), new Descriptor.DeviceTlbInvalidation(0x10, 7, 0x1234, ADDR, true),
                new Descriptor.InterruptEntryCacheInvalidation(true, 3, 0x40))) {
            assertEquals(d, Descriptor.decode(d.encode()));
        }
        PasidEntry e = PasidEntry.firstLevel(1, ADDR);
        assertEquals(e, PasidEntry.decode(e.encode()));
        ContextEntry c = new ContextEntry(true, false, true, true, true, 2, ADDR, 0);
        assertEquals(c, ContextEntry.decode(c.encode()));
    }

    @Test
    void theUnitRefusesAnUnknownTypeOrAReservedBitAndFieldsThatDoNotFit() {
        assertThrows(IllegalArgumentException.class, () -> Descriptor.decode(new long[] {0xF, 0, 0, 0}));
        long[] wait = new Descriptor.InvalidationWait(false, true, false, false, 1, 0x1000).encode();
        wait[0] |= 1L << 8; // reserved
        assertThrows(IllegalArgumentException.class, () -> Descriptor.decode(wait));
        assertThrows(IllegalArgumentException.class, () -> new Descriptor.PasidCacheInvalidation(1, 1, 1 << 20));
        assertThrows(IllegalArgumentException.class, () -> PasidEntry.firstLevel(1, ADDR + 8));
        assertThrows(IllegalArgumentException.class, () -> new Descriptor.InvalidationWait(false, true, false, false, 1, 0x1002));
    }

    @Test
    void aDeviceTlbRangeIsEncodedByTheLowestClearAddressBit() {
        for (long length = 4096; length <= 1L << 30; length <<= 1) {
            Descriptor.PasidDeviceTlbInvalidation d = Descriptor.PasidDeviceTlbInvalidation.of(0x10, 3, 0x4000_0000L, length);
            assertEquals(length, d.length(), "length " + length);
            assertEquals(0x4000_0000L, d.base());
        }
        assertThrows(IllegalArgumentException.class, () -> Descriptor.PasidDeviceTlbInvalidation.of(0x10, 3, 0x1000, 0x2000));
    }

    @Test
    void requesterIdsParseAsLspciPrintsThem() {
        RequesterId gpu = RequesterId.parse("00:02.0");
        assertEquals(0x10, gpu.value());
        assertEquals("01:00.0", RequesterId.of(0x100).toString());
        assertThrows(IllegalArgumentException.class, () -> RequesterId.parse("0:2"));
    }
}
