package iommu.hw.amdvi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.util.List;
import java.util.function.LongFunction;

import org.junit.jupiter.api.Test;

/**
 * The formats bit for bit, row by row as AMD's IOMMU specification and Linux's amd_iommu_types.h and
 * build_* functions lay them out: each row names a structure, a field, its bit range in the structure
 * and a value; the structure encoded with that field set differs from it encoded with the field clear
 * in exactly those bits, holding exactly that value, and decodes back to what was encoded.
 */
class AmdViFormatTest {
    record Row(String structure, String field, int high, int low, long value, LongFunction<long[]> encode) {
    }

    static final long ADDR = 0x000A_BCDE_F123_4000L;

    static long[] dte(long v, int field) {
        DeviceTableEntry e = new DeviceTableEntry(field == 0 && v != 0, field == 1 && v != 0, field == 2 ? (int) v : 0,
                field == 3 ? v : 0, field == 4 && v != 0, field == 5 && v != 0, field == 6 && v != 0, field == 7 ? (int) v : 0,
                field == 8 ? v : 0, field == 9 && v != 0, field == 10 && v != 0, field == 11 ? (int) v : 0, field == 12 && v != 0,
                field == 13 ? (int) v : 0);
        assertEquals(e, DeviceTableEntry.decode(e.encode()));
        return e.encode();
    }

    static long[] command(Command c) {
        assertEquals(c, Command.decode(c.encode()));
        return c.encode();
    }

    static long[] fault(long v, int field) {
        Event.IoPageFault f = new Event.IoPageFault(field == 0 ? (int) v : 0, field == 1 ? (int) v : 0, field == 2 && v != 0,
                field == 3 && v != 0, field == 4 && v != 0, field == 5 && v != 0, field == 6 && v != 0, field == 7 && v != 0,
                field == 8 && v != 0, field == 9 ? v : 0);
        assertEquals(f, Event.decode(f.encode()));
        return f.encode();
    }

    static long[] ppr(long v, int field) {
        PprLogEntry e = new PprLogEntry(field == 0 ? (int) v : 0, field == 1 ? (int) v : 0, field == 2 ? (int) v : 0,
                field == 3 && v != 0, field == 4 && v != 0, field == 5 && v != 0, field == 6 && v != 0, field == 7 && v != 0,
                field == 8 && v != 0, field == 9 ? v : 0);
        assertEquals(e, PprLogEntry.decode(e.encode()));
        return e.encode();
    }

    static long[] efr(long v, int field) {
        ExtendedFeatures f = new ExtendedFeatures(field == 0 && v != 0, field == 1 && v != 0, field == 2 && v != 0,
                field == 3 && v != 0, field == 4 ? (int) v : 0, field == 5 ? (int) v : 0);
        assertEquals(f, ExtendedFeatures.decode(f.encode()));
        return new long[] {f.encode()};
    }

    static final List<Row> ROWS = List.of(
            // device table entry (256 bits)
            new Row("DTE", "V", 0, 0, 1, v -> dte(v, 0)),
            new Row("DTE", "TV", 1, 1, 1, v -> dte(v, 1)),
            new Row("DTE", "Mode", 11, 9, 4, v -> dte(v, 2)),
            new Row("DTE", "Host Page Table Root Pointer", 51, 12, ADDR >>> 12, v -> dte(v << 12, 3)),
            new Row("DTE", "PPR", 52, 52, 1, v -> dte(v, 4)),
            new Row("DTE", "GIoV", 54, 54, 1, v -> dte(v, 5)),
            new Row("DTE", "GV", 55, 55, 1, v -> dte(v, 6)),
            new Row("DTE", "GLX", 57, 56, 2, v -> dte(v, 7)),
            new Row("DTE", "GCR3 Table Root Pointer [14:12]", 60, 58, 5, v -> dte(v << 12, 8)),
            new Row("DTE", "GCR3 Table Root Pointer [30:15]", 95, 80, 0xBEEF, v -> dte(v << 15, 8)),
            new Row("DTE", "GCR3 Table Root Pointer [51:31]", 127, 107, 0x1A_BCDE, v -> dte(v << 31, 8)),
            new Row("DTE", "IR", 61, 61, 1, v -> dte(v, 9)),
            new Row("DTE", "IW", 62, 62, 1, v -> dte(v, 10)),
            new Row("DTE", "DomainID", 79, 64, 0xCAFE, v -> dte(v, 11)),
            new Row("DTE", "I (IOTLB enable)", 96, 96, 1, v -> dte(v, 12)),
            new Row("DTE", "GPT level", 183, 182, 1, v -> dte(v, 13)),
            // GCR3 table entry (64 bits)
            new Row("GCR3 entry", "GCR3 (guest CR3) [51:12]", 51, 12, ADDR >>> 12,
                    v -> new long[] {v == 0 ? Gcr3Table.VALID : Gcr3Table.entry(v << 12)}),
            // commands (128 bits): the opcode, then each command's fields
            new Row("command opcode", "COMPLETION_WAIT", 63, 60, 1, v -> command(new Command.CompletionWait(false, false, 0, 0))),
            new Row("command opcode", "INVALIDATE_DEVTAB_ENTRY", 63, 60, 2, v -> command(new Command.InvalidateDevtabEntry(0))),
            new Row("command opcode", "INVALIDATE_IOMMU_PAGES", 63, 60, 3, v -> command(new Command.InvalidateIommuPages(0, 0, false, false, false, 0))),
            new Row("command opcode", "INVALIDATE_IOTLB_PAGES", 63, 60, 4, v -> command(new Command.InvalidateIotlbPages(0, 0, 0, 0, false, false, 0))),
            new Row("command opcode", "INVALIDATE_INTERRUPT_TABLE", 63, 60, 5, v -> command(new Command.InvalidateInterruptTable(0))),
            new Row("command opcode", "COMPLETE_PPR_REQUEST", 63, 60, 7, v -> command(new Command.CompletePprRequest(0, 0, false, 0, 0))),
            new Row("command opcode", "INVALIDATE_IOMMU_ALL", 63, 60, 8, v -> command(new Command.InvalidateIommuAll())),
            new Row("COMPLETION_WAIT", "S (store)", 0, 0, 1, v -> command(new Command.CompletionWait(v != 0, false, 0, 0))),
            new Row("COMPLETION_WAIT", "I (interrupt)", 1, 1, 1, v -> command(new Command.CompletionWait(false, v != 0, 0, 0))),
            new Row("COMPLETION_WAIT", "Store Address [51:3]", 51, 3, ADDR >>> 3, v -> command(new Command.CompletionWait(false, false, v << 3, 0))),
            new Row("COMPLETION_WAIT", "Store Data", 127, 64, 0x0123_4567_89AB_CDEFL, v -> command(new Command.CompletionWait(false, false, 0, v))),
            new Row("INVALIDATE_DEVTAB_ENTRY", "DeviceID", 15, 0, 0xBEEF, v -> command(new Command.InvalidateDevtabEntry((int) v))),
            new Row("INVALIDATE_IOMMU_PAGES", "PASID", 19, 0, 0xABCDE, v -> command(new Command.InvalidateIommuPages(0, (int) v, false, false, false, 0))),
            new Row("INVALIDATE_IOMMU_PAGES", "DomainID", 47, 32, 0xCAFE, v -> command(new Command.InvalidateIommuPages((int) v, 0, false, false, false, 0))),
            new Row("INVALIDATE_IOMMU_PAGES", "S", 64, 64, 1, v -> command(new Command.InvalidateIommuPages(0, 0, false, false, v != 0, 0))),
            new Row("INVALIDATE_IOMMU_PAGES", "PDE", 65, 65, 1, v -> command(new Command.InvalidateIommuPages(0, 0, false, v != 0, false, 0))),
            new Row("INVALIDATE_IOMMU_PAGES", "GN", 66, 66, 1, v -> command(new Command.InvalidateIommuPages(0, 0, v != 0, false, false, 0))),
            new Row("INVALIDATE_IOMMU_PAGES", "Address [63:12]", 127, 76, ADDR >>> 12,
                    v -> command(new Command.InvalidateIommuPages(0, 0, false, false, false, v << 12))),
            new Row("INVALIDATE_IOTLB_PAGES", "DeviceID", 15, 0, 0xBEEF, v -> command(new Command.InvalidateIotlbPages((int) v, 0, 0, 0, false, false, 0))),
            new Row("INVALIDATE_IOTLB_PAGES", "PASID [15:8]", 23, 16, 0xAB, v -> command(new Command.InvalidateIotlbPages(0, 0, 0, (int) v << 8, false, false, 0))),
            new Row("INVALIDATE_IOTLB_PAGES", "Maxpend", 31, 24, 0x20, v -> command(new Command.InvalidateIotlbPages(0, (int) v, 0, 0, false, false, 0))),
            new Row("INVALIDATE_IOTLB_PAGES", "QueueID", 47, 32, 0x0110, v -> command(new Command.InvalidateIotlbPages(0, 0, (int) v, 0, false, false, 0))),
            new Row("INVALIDATE_IOTLB_PAGES", "PASID [7:0]", 55, 48, 0xCD, v -> command(new Command.InvalidateIotlbPages(0, 0, 0, (int) v, false, false, 0))),
            new Row("INVALIDATE_IOTLB_PAGES", "S", 64, 64, 1, v -> command(new Command.InvalidateIotlbPages(0, 0, 0, 0, false, v != 0, 0))),
            new Row("INVALIDATE_IOTLB_PAGES", "GN", 66, 66, 1, v -> command(new Command.InvalidateIotlbPages(0, 0, 0, 0, v != 0, false, 0))),
            new Row("INVALIDATE_IOTLB_PAGES", "Address [63:12]", 127, 76, ADDR >>> 12,
                    v -> command(new Command.InvalidateIotlbPages(0, 0, 0, 0, false, false, v << 12))),
            new Row("COMPLETE_PPR_REQUEST", "DeviceID", 15, 0, 0xBEEF, v -> command(new Command.CompletePprRequest((int) v, 0, false, 0, 0))),
            new Row("COMPLETE_PPR_REQUEST", "PASID", 51, 32, 0xABCDE, v -> command(new Command.CompletePprRequest(0, (int) v, false, 0, 0))),
            new Row("COMPLETE_PPR_REQUEST", "GN", 66, 66, 1, v -> command(new Command.CompletePprRequest(0, 0, v != 0, 0, 0))),
            new Row("COMPLETE_PPR_REQUEST", "CompletionTag (PRG index)", 104, 96, 0x1A5, v -> command(new Command.CompletePprRequest(0, 0, false, (int) v, 0))),
            new Row("COMPLETE_PPR_REQUEST", "Status (Response Failure)", 111, 108, 0xF, v -> command(new Command.CompletePprRequest(0, 0, false, 0, (int) v))),
            // events (128 bits)
            new Row("IO_PAGE_FAULT", "DeviceID", 15, 0, 0xBEEF, v -> fault(v, 0)),
            new Row("IO_PAGE_FAULT", "PASID [19:16]", 19, 16, 0xA, v -> fault(v << 16, 1)),
            new Row("IO_PAGE_FAULT", "PASID [15:0]", 47, 32, 0xBCDE, v -> fault(v, 1)),
            new Row("IO_PAGE_FAULT", "GN", 48, 48, 1, v -> fault(v, 2)),
            new Row("IO_PAGE_FAULT", "NX", 49, 49, 1, v -> fault(v, 3)),
            new Row("IO_PAGE_FAULT", "US", 50, 50, 1, v -> fault(v, 4)),
            new Row("IO_PAGE_FAULT", "PR", 52, 52, 1, v -> fault(v, 5)),
            new Row("IO_PAGE_FAULT", "RW", 53, 53, 1, v -> fault(v, 6)),
            new Row("IO_PAGE_FAULT", "PE", 54, 54, 1, v -> fault(v, 7)),
            new Row("IO_PAGE_FAULT", "RZ", 55, 55, 1, v -> fault(v, 8)),
            new Row("IO_PAGE_FAULT", "Address", 127, 64, 0x7FFF_1234_5678L, v -> fault(v, 9)),
            new Row("IOTLB_INV_TIMEOUT", "DeviceID", 15, 0, 0x0110, v -> new Event.IotlbInvalidationTimeout((int) v, 0).encode()),
            new Row("IOTLB_INV_TIMEOUT", "Address [63:4]", 127, 68, 0x1234_5670L >>> 4,
                    v -> new Event.IotlbInvalidationTimeout(0, v << 4).encode()),
            new Row("ILLEGAL_COMMAND_ERROR", "Address", 127, 64, 0x1234_5670L, v -> new Event.IllegalCommand(v).encode()),
            // PPR log entry (128 bits)
            new Row("PPR log entry", "DeviceID", 15, 0, 0xBEEF, v -> ppr(v, 0)),
            new Row("PPR log entry", "PASID [15:0]", 31, 16, 0xBCDE, v -> ppr(v, 1)),
            new Row("PPR log entry", "PASID [19:16]", 45, 42, 0xA, v -> ppr(v << 16, 1)),
            new Row("PPR log entry", "Tag: PRG index", 40, 32, 0x1A5, v -> ppr(v, 2)),
            new Row("PPR log entry", "Tag: last in group", 41, 41, 1, v -> ppr(v, 3)),
            new Row("PPR log entry", "PPR_FLAG_READ", 50, 50, 1, v -> ppr(v, 4)),
            new Row("PPR log entry", "PPR_FLAG_WRITE", 53, 53, 1, v -> ppr(v, 5)),
            new Row("PPR log entry", "PPR_FLAG_EXEC", 49, 49, 1, v -> ppr(v, 6)),
            new Row("PPR log entry", "PPR_FLAG_US", 54, 54, 1, v -> ppr(v, 7)),
            new Row("PPR log entry", "PPR_FLAG_GN", 56, 56, 1, v -> ppr(v, 8)),
            new Row("PPR log entry", "Address [63:12]", 127, 76, ADDR >>> 12, v -> ppr(v << 12, 9)),
            // extended feature register (64 bits)
            new Row("EFR", "PPRSup", 1, 1, 1, v -> efr(v, 0)),
            new Row("EFR", "NXSup", 3, 3, 1, v -> efr(v, 1)),
            new Row("EFR", "GTSup", 4, 4, 1, v -> efr(v, 2)),
            new Row("EFR", "IASup", 6, 6, 1, v -> efr(v, 3)),
            new Row("EFR", "GLXSup", 15, 14, 2, v -> efr(v, 4)),
            new Row("EFR", "PASmax", 36, 32, 15, v -> efr(v, 5)));

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
            boolean opcodeRow = row.structure().equals("command opcode");
            BigInteger set = bits(row.encode().apply(row.value()));
            BigInteger clear = opcodeRow ? BigInteger.ZERO : bits(row.encode().apply(0));
            BigInteger diff = set.xor(clear);
            BigInteger field = diff.shiftRight(row.low()).and(BigInteger.ONE.shiftLeft(row.high() - row.low() + 1).subtract(BigInteger.ONE));
            assertEquals(BigInteger.valueOf(row.value()), field, name + ": the value");
            assertEquals(field.shiftLeft(row.low()), diff, name + ": no bit outside the field");
        }
    }

    @Test
    void rangesAreEncodedAsLinuxBuildsThemAndDecodeToTheirNaturallyAlignedSuperset() {
        long[] page = Command.addressOf(0x7000_1234L, 100);
        assertArrayEquals(new long[] {0x7000_1000L, 0}, page, "one page: its address, S clear");
        assertArrayEquals(new long[] {0x7000_1000L, 4096}, Command.rangeOf(page[0], false));
        long[] two = Command.addressOf(0x7000_1000L, 8192); // pages 1 and 2: the aligned 16 KiB around them
        assertEquals(1, two[1]);
        assertArrayEquals(new long[] {0x7000_0000L, 16384}, Command.rangeOf(two[0], true));
        long[] all = Command.addressOf(0, Long.MAX_VALUE);
        assertArrayEquals(new long[] {Command.ALL_PAGES_ADDRESS, 1}, all, "CMD_INV_IOMMU_ALL_PAGES_ADDRESS");
        assertEquals(Long.MAX_VALUE, Command.rangeOf(all[0], true)[1]);
        java.util.Random random = new java.util.Random(48882);
        for (int i = 0; i < 10_000; i++) {
            long va = (random.nextLong() & 0x7FFF_FFFF_FFFFL);
            long length = 1 + (random.nextLong() & ((1L << (1 + random.nextInt(40))) - 1));
            long[] a = Command.addressOf(va, length);
            long[] r = Command.rangeOf(a[0], a[1] != 0);
            long end = va + length - 1;
            String what = String.format("[0x%x, +0x%x)", va, length);
            assertEquals(true, r[0] <= va && (r[1] == Long.MAX_VALUE || end <= r[0] + r[1] - 1), what + " is inside what the command names");
            assertEquals(0, r[0] & (Math.min(r[1], 1L << 62) - 1), what + ": the range is naturally aligned");
        }
    }

    @Test
    void theUnitRefusesAnUnknownOpcodeOrAReservedBitAndFieldsThatDoNotFit() {
        assertThrows(IllegalArgumentException.class, () -> Command.decode(new long[] {0x6L << 60, 0}));
        assertThrows(IllegalArgumentException.class, () -> Command.decode(new long[] {0, 0}));
        long[] wait = new Command.CompletionWait(true, false, 0x1000, 1).encode();
        wait[0] |= 1L << 52; // reserved 59:52
        assertThrows(IllegalArgumentException.class, () -> Command.decode(wait));
        long[] pages = new Command.InvalidateIommuPages(1, 5, true, true, false, 0x1000).encode();
        pages[1] |= 1L << 3; // reserved 75:67
        assertThrows(IllegalArgumentException.class, () -> Command.decode(pages));
        assertThrows(IllegalArgumentException.class, () -> new Command.CompletionWait(true, false, 0x1004, 1));
        assertThrows(IllegalArgumentException.class, () -> new Command.CompletePprRequest(0x10, 1, true, 512, 0));
        assertThrows(IllegalArgumentException.class, () -> DeviceTableEntry.guest(1, 0x1008, 1, false, false));
        assertThrows(IllegalArgumentException.class, () -> Gcr3Table.entry(0x1_0000_0000_0000_0L));
        assertThrows(IllegalArgumentException.class, () -> PprLogEntry.decode(new long[] {0, 0}));
    }

    @Test
    void gcr3TablesAreIndexedByNineBitsALevel() {
        assertEquals(0x1FF, Gcr3Table.index(0x3FFFF, 0));
        assertEquals(0x1FF, Gcr3Table.index(0x3FFFF, 1));
        assertEquals(5, Gcr3Table.index(5 << 9 | 7, 1));
        assertEquals(511, Gcr3Table.maxPasid(0));
        assertEquals((1 << 18) - 1, Gcr3Table.maxPasid(1));
        assertEquals(0xFFFF, new ExtendedFeatures(true, false, true, true, 1, 15).maxPasid(), "PASmax 15: Linux's max_pasids");
    }
}
