package iommu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import iommu.hw.Access;
import iommu.hw.FaultKind;
import iommu.hw.PageSize;
import iommu.hw.PageTableWalker;
import iommu.hw.Pte;
import iommu.hw.Translation;

class PageTableWalkerTest {
    static final long P = Pte.PRESENT;
    static final long W = Pte.WRITABLE;
    static final long U = Pte.USER;
    static final long NX = Pte.NO_EXECUTE;

    LazySystemMemory memory = new LazySystemMemory(8L << 30);
    Tables tables;

    @BeforeEach
    void setUp() {
        tables = new Tables(memory, 16);
    }

    Translation walk(long va, Access access) {
        return PageTableWalker.walk(memory, tables.root, 7, va, access, true);
    }

    record Case(String name, long leafFlags, Access access, FaultKind expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> permissionCases() {
        return Stream.of(
                new Case("read of rw page", P | W | U, Access.READ, null),
                new Case("write of rw page", P | W | U, Access.WRITE, null),
                new Case("write of read-only page", P | U, Access.WRITE, FaultKind.WRITE_PROTECTED),
                new Case("fetch from NX page", P | W | U | NX, Access.EXECUTE, FaultKind.EXECUTE_PROTECTED),
                new Case("fetch from executable page", P | U, Access.EXECUTE, null),
                new Case("user read of supervisor page", P | W, Access.READ, FaultKind.SUPERVISOR_ONLY),
                new Case("not present", W | U, Access.READ, FaultKind.NOT_PRESENT),
                new Case("reserved bit 51", P | W | U | (1L << 51), Access.READ, FaultKind.RESERVED_BIT),
                new Case("reserved bit at MAXPHYADDR", P | U | (1L << Pte.PHYSICAL_ADDRESS_BITS), Access.READ,
                        FaultKind.RESERVED_BIT));
    }

    @ParameterizedTest
    @MethodSource("permissionCases")
    void leafPermissions(Case c) {
        long va = 0x7f00_1234_5000L;
        tables.map4k(va, 0x40_0000L, c.leafFlags);
        Translation t = walk(va + 0x123, c.access);
        if (c.expected == null) {
            Translation.Mapping m = assertInstanceOf(Translation.Mapping.class, t);
            assertEquals(0x40_0123L, m.physicalAddress(va + 0x123));
            assertEquals(PageSize.SIZE_4K, m.size());
        } else {
            Translation.Fault f = assertInstanceOf(Translation.Fault.class, t);
            assertEquals(c.expected, f.kind());
            assertEquals(7, f.pasid());
            assertEquals(va + 0x123, f.va());
            assertEquals(c.access, f.access());
        }
    }

    @Test
    void readOnlyUpperLevelWinsOverWritableLeaf() {
        long va = 0x5000_0000L;
        tables.memory.writeLong(tables.root + 8L * Pte.index(va, 4), Pte.make(tables.frame(), P | U));
        tables.map4k(va, 0x80_0000L, P | W | U);
        assertEquals(FaultKind.WRITE_PROTECTED, ((Translation.Fault) walk(va, Access.WRITE)).kind());
        assertInstanceOf(Translation.Mapping.class, walk(va, Access.READ));
    }

    @Test
    void nxAtAnyLevelForbidsExecution() {
        long va = 0x6000_0000L;
        tables.memory.writeLong(tables.root + 8L * Pte.index(va, 4), Pte.make(tables.frame(), P | W | U | NX));
        tables.map4k(va, 0x80_0000L, P | W | U);
        assertEquals(FaultKind.EXECUTE_PROTECTED, ((Translation.Fault) walk(va, Access.EXECUTE)).kind());
    }

    @Test
    void largePagesTranslateWithTheirOffsets() {
        tables.map2m(0x4020_0000L, 0x60_0000L, P | W | U);
        tables.map1g(0x80_0000_0000L, 0x4000_0000L, P | U);
        Translation.Mapping two = (Translation.Mapping) walk(0x4020_0000L + 0x1_2345, Access.WRITE);
        assertEquals(PageSize.SIZE_2M, two.size());
        assertEquals(0x60_0000L + 0x1_2345, two.physicalAddress(0x4020_0000L + 0x1_2345));
        Translation.Mapping one = (Translation.Mapping) walk(0x80_0000_0000L + 0x2345_6789L, Access.READ);
        assertEquals(PageSize.SIZE_1G, one.size());
        assertEquals(0x4000_0000L + 0x2345_6789L, one.physicalAddress(0x80_0000_0000L + 0x2345_6789L));
    }

    @Test
    void largePageReservedBitsAndPsInPml4Fault() {
        tables.map2m(0x4020_0000L, 0x60_0000L | (1L << 13), P | W | U);
        assertEquals(FaultKind.RESERVED_BIT, ((Translation.Fault) walk(0x4020_0000L, Access.READ)).kind());
        tables.map1g(0x80_0000_0000L, 0x4000_0000L | (1L << 20), P | U);
        assertEquals(FaultKind.RESERVED_BIT, ((Translation.Fault) walk(0x80_0000_0000L, Access.READ)).kind());
        long va = 0x100_0000_0000L;
        tables.memory.writeLong(tables.root + 8L * Pte.index(va, 4), Pte.make(tables.frame(), P | W | U | Pte.PAGE_SIZE));
        assertEquals(FaultKind.RESERVED_BIT, ((Translation.Fault) walk(va, Access.READ)).kind());
    }

    @Test
    void nonCanonicalAddressesFaultWithoutAWalk() {
        assertEquals(FaultKind.NON_CANONICAL, ((Translation.Fault) walk(0x0000_8000_0000_0000L, Access.READ)).kind());
        assertEquals(FaultKind.NON_CANONICAL, ((Translation.Fault) walk(0x1234_0000_0000_0000L, Access.READ)).kind());
        assertTrue(Pte.isCanonical(0xFFFF_8000_0000_0000L));
    }

    @Test
    void entryBeyondInstalledMemoryIsReported() {
        tables.map4k(0x10000, 9L << 30, P | W | U);
        assertEquals(FaultKind.NON_EXISTENT_MEMORY, ((Translation.Fault) walk(0x10000, Access.READ)).kind());
    }

    @Test
    void walkSetsAccessedOnEveryLevelAndDirtyOnWrite() {
        long va = 0x12_3456_7000L;
        tables.map4k(va, 0x50_0000L, P | W | U);
        long leaf = tables.entry(va, 1, Tables.TABLE);
        walk(va, Access.READ);
        long e = memory.readLong(leaf);
        assertTrue((e & Pte.ACCESSED) != 0, "accessed set by read");
        assertEquals(0, e & Pte.DIRTY, "dirty not set by read");
        assertTrue((memory.readLong(tables.root + 8L * Pte.index(va, 4)) & Pte.ACCESSED) != 0, "PML4E accessed");
        Translation.Mapping m = (Translation.Mapping) walk(va, Access.WRITE);
        assertTrue((memory.readLong(leaf) & Pte.DIRTY) != 0, "dirty set by write");
        assertTrue(m.dirty());
    }
}
