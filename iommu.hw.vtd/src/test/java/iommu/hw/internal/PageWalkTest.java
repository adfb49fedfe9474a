package iommu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import iommu.hw.Access;
import iommu.hw.FaultKind;
import iommu.hw.PageWalk;
import iommu.hw.Pte;
import iommu.hw.Translation;
import iommu.hw.vtd.VtdDriver;

/** {@link IommuUnit#walk}: every level as memory holds it, where it stops, the IOTLB's view, and no change to anything. */
class PageWalkTest {
    static final long USER_RW = Pte.PRESENT | Pte.WRITABLE | Pte.USER;

    final LazySystemMemory memory = new LazySystemMemory(256L << 20);
    final IommuUnit iommu = IommuFixture.unit(memory, 3, 1024, 8, 4);
    final Tables tables = new Tables(memory, 1);
    final VtdDriver driver = tables.driver(iommu);

    @Test
    void explainsEachLevelAndChangesNothingUntilATranslationFillsTheIotlb() {
        long va = 0x7f12_3456_7000L;
        tables.map4k(va, 0x80_0000, USER_RW | Pte.NO_EXECUTE);
        driver.bind(7, tables.root);
        long stats = iommu.stats().translations();

        PageWalk walk = iommu.walk(7, va + 0x123);
        assertEquals(List.of(4, 3, 2, 1), walk.levels().stream().map(PageWalk.Level::level).toList());
        long table = tables.root;
        for (PageWalk.Level l : walk.levels()) { // each entry is the one memory holds at the VA's index of that table
            assertEquals(Pte.index(va, l.level()), l.index());
            assertEquals(table + 8L * l.index(), l.entryAddress());
            assertEquals(memory.readLong(l.entryAddress()), l.entry());
            assertEquals((l.entry() & Pte.ACCESSED) == 0, true, "the walk set no accessed bit at " + l.name());
            table = Pte.address(l.entry());
        }
        PageWalk.Level pte = walk.levels().get(3);
        assertTrue(pte.leaf());
        assertEquals("P W U NX -> 4KiB page 0x800000", pte.decoded());
        Translation.Mapping m = assertInstanceOf(Translation.Mapping.class, walk.outcome());
        assertEquals(0x80_0123, m.physicalAddress(va + 0x123));
        assertFalse(walk.iotlbHolds());
        assertEquals(stats, iommu.stats().translations(), "a walk is not a translation");
        assertEquals(0, iommu.stats().iotlbEntries());

        assertInstanceOf(Translation.Mapping.class, iommu.translate(7, va, Access.WRITE));
        PageWalk after = iommu.walk(7, va + 0x123);
        assertEquals(0x80_0123, after.iotlbPhysical());
        assertTrue(after.levels().get(3).entry() == (pte.entry() | Pte.ACCESSED | Pte.DIRTY),
                "the translation set A and D on the leaf; the walk shows them");
        assertTrue(after.describe().endsWith("IOTLB: holds it (PA 0x800123)"), after.describe());
    }

    @Test
    void stopsWhereTheTableDoes() {
        tables.map2m(0x4000_0000L, 0x20_0000, USER_RW);
        tables.map4k(0x8000_0000L, 0x9000, Pte.PRESENT | Pte.WRITABLE); // supervisor only
        long pagedOut = tables.entry(0x8000_1000L, 1, Tables.TABLE);
        memory.writeLong(pagedOut, (42L << 12) | (1L << 11)); // what an OS keeps in a not-present PTE
        driver.bind(8, tables.root);

        PageWalk large = iommu.walk(8, 0x4001_2345L);
        assertEquals(3, large.levels().size());
        assertEquals("PDE", large.levels().get(2).name());
        assertEquals(0x21_2345, ((Translation.Mapping) large.outcome()).physicalAddress(0x4001_2345L));

        PageWalk none = iommu.walk(8, 0x1_0000_0000L);
        assertEquals(2, none.levels().size(), "no PDPTE there: the walk stops at it");
        assertEquals(FaultKind.NOT_PRESENT, ((Translation.Fault) none.outcome()).kind());
        assertTrue(none.describe().contains("stops at PDPTE: NOT_PRESENT"), none.describe());

        PageWalk out = iommu.walk(8, 0x8000_1000L);
        assertEquals("not present (the OS keeps 0x2a800 in it)", out.levels().get(3).decoded());

        PageWalk supervisor = iommu.walk(8, 0x8000_0000L);
        assertEquals(FaultKind.SUPERVISOR_ONLY, ((Translation.Fault) supervisor.outcome()).kind());
    }

    @Test
    void anUnboundPasidHasNoLevelAndABadOneIsRefused() {
        PageWalk walk = iommu.walk(9, 0x10000);
        assertEquals(-1, walk.root());
        assertTrue(walk.levels().isEmpty());
        assertEquals("unit 3 PASID 9 VA 0x10000: PASID 9 is not bound on unit 3", walk.describe());
        assertThrows(IllegalArgumentException.class, () -> iommu.walk(1 << 20, 0x10000));
        PageWalk nonCanonical = iommu.walk(9, 0x8000_0000_0000L);
        assertTrue(nonCanonical.levels().isEmpty());
    }
}
