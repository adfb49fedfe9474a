package iommu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.Arrays;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import iommu.hw.Access;
import iommu.hw.DmaResult;
import iommu.hw.FaultKind;
import iommu.hw.Invalidation;
import iommu.hw.PageRequest;
import iommu.hw.PageRequestHandler;
import iommu.hw.PageResponse;
import iommu.hw.Pasid;
import iommu.hw.Pte;
import iommu.hw.Translation;
import iommu.hw.vtd.VtdDriver;

class IommuUnitTest {
    static final long USER_RW = Pte.PRESENT | Pte.WRITABLE | Pte.USER;
    static final int PASID = 5;

    LazySystemMemory memory = new LazySystemMemory(256L << 20);
    IommuUnit iommu = IommuFixture.unit(memory, 0, 1024, 8, 4);
    Tables tables;
    VtdDriver driver;

    @BeforeEach
    void setUp() {
        tables = new Tables(memory, 1);
        driver = tables.driver(iommu);
        driver.bind(PASID, tables.root);
    }

    @Test
    void bindRejectsBadPasidsAndRootsWithoutChangingTheTable() {
        assertThrows(IllegalArgumentException.class, () -> driver.bind(0, tables.root));
        assertThrows(IllegalArgumentException.class, () -> driver.bind(Pasid.MAX + 1, tables.root));
        assertThrows(IllegalArgumentException.class, () -> driver.bind(VtdDriver.MAX_PASID + 1, tables.root),
                "beyond the one-frame PASID directory");
        assertThrows(IllegalArgumentException.class, () -> driver.bind(6, tables.root + 8));
        assertThrows(IllegalArgumentException.class, () -> driver.bind(6, 1L << 40));
        assertThrows(IllegalStateException.class, () -> driver.bind(PASID, tables.root));
        assertThrows(IllegalStateException.class, () -> driver.unbind(6));
        assertEquals(java.util.Map.of(PASID, tables.root), iommu.boundPasids());
        driver.bind(VtdDriver.MAX_PASID, tables.root);
        assertEquals(2, iommu.boundPasids().size());
    }

    @Test
    void unboundPasidFaultsAndIsRecorded() {
        Translation t = iommu.translate(9, 0x10000, Access.READ);
        assertEquals(FaultKind.PASID_NOT_BOUND, ((Translation.Fault) t).kind());
        assertEquals(1, iommu.faults().size());
        assertEquals(9, iommu.faults().get(0).fault().pasid());
        assertThrows(IllegalArgumentException.class, () -> iommu.translate(-1, 0, Access.READ));
    }

    @Test
    void secondTranslationHitsTheIotlb() {
        tables.map4k(0x10000, 0x100000, USER_RW);
        iommu.translate(PASID, 0x10000, Access.READ);
        iommu.translate(PASID, 0x10008, Access.READ);
        var s = iommu.stats();
        assertEquals(2, s.translations());
        assertEquals(1, s.iotlbHits());
        assertEquals(1, s.iotlbMisses());
        assertEquals(1, s.iotlbEntries());
    }

    @Test
    void writeAfterReadRewalksToSetDirty() {
        tables.map4k(0x10000, 0x100000, USER_RW);
        iommu.translate(PASID, 0x10000, Access.READ);
        iommu.translate(PASID, 0x10000, Access.WRITE);
        assertEquals(2, iommu.stats().iotlbMisses());
        assertTrue((memory.readLong(tables.entry(0x10000, 1, Tables.TABLE)) & Pte.DIRTY) != 0);
        iommu.translate(PASID, 0x10000, Access.WRITE);
        assertEquals(1, iommu.stats().iotlbHits());
    }

    @Test
    void iotlbKeepsAStaleTranslationUntilInvalidated() {
        tables.map4k(0x10000, 0x100000, USER_RW);
        iommu.translate(PASID, 0x10000, Access.READ);
        tables.map4k(0x10000, 0x200000, USER_RW);
        assertEquals(0x100000, ((Translation.Mapping) iommu.translate(PASID, 0x10000, Access.READ)).pagePa(),
                "without invalidation the IOTLB answers");
        driver.invalidate(PASID, 0x10000, 4096);
        assertEquals(0x200000, ((Translation.Mapping) iommu.translate(PASID, 0x10000, Access.READ)).pagePa());
        assertEquals(1, iommu.stats().invalidations());
    }

    @Test
    void rangeInvalidationRemovesOverlappingLargePagesOnly() {
        tables.map2m(0x4000_0000L, 0x20_0000L, USER_RW);
        tables.map4k(0x10000, 0x100000, USER_RW);
        iommu.translate(PASID, 0x4000_0000L, Access.READ);
        iommu.translate(PASID, 0x10000, Access.READ);
        assertEquals(2, iommu.stats().iotlbEntries());
        driver.invalidate(PASID, 0x4010_0000L, 4096);
        assertEquals(1, iommu.stats().iotlbEntries(), "the 2 MiB page overlapping the range is gone");
        driver.invalidate(PASID);
        assertEquals(0, iommu.stats().iotlbEntries());
    }

    @Test
    void unbindInvalidatesThePasid() {
        tables.map4k(0x10000, 0x100000, USER_RW);
        iommu.translate(PASID, 0x10000, Access.READ);
        driver.unbind(PASID);
        assertEquals(0, iommu.stats().iotlbEntries());
        assertEquals(FaultKind.PASID_NOT_BOUND, ((Translation.Fault) iommu.translate(PASID, 0x10000, Access.READ)).kind());
    }

    @Test
    void notPresentPageIsRequestedFromTheOsAndRetried() {
        PageRequestHandler os = mock(PageRequestHandler.class);
        when(os.handle(any())).thenAnswer(inv -> {
            PageRequest r = inv.getArgument(0);
            tables.map4k(r.va() & ~0xFFFL, 0x300000, USER_RW);
            return PageResponse.SUCCESS;
        });
        driver.setPageRequestHandler(os);
        Translation t = iommu.translate(PASID, 0x20010, Access.WRITE);
        assertEquals(0x300010, ((Translation.Mapping) t).physicalAddress(0x20010));
        verify(os).handle(new PageRequest(PASID, 0x20000, Access.WRITE)); // a page request names the page
        assertEquals(1, IommuFixture.registers(iommu).queueStats().pageRequests(), "it went through the page request queue");
        assertEquals(1, IommuFixture.registers(iommu).queueStats().groupsSucceeded(), "and its group was answered success");
        assertEquals(IommuFixture.registers(iommu).pageRequestQueueTail(), IommuFixture.registers(iommu).pageRequestQueueHead(), "the OS read it");
        assertTrue(iommu.faults().isEmpty());
        assertEquals(1, iommu.stats().pageRequests());
    }

    @Test
    void refusedOrThrowingPageRequestsFault() {
        PageRequestHandler os = mock(PageRequestHandler.class);
        when(os.handle(any())).thenReturn(PageResponse.INVALID).thenThrow(new IllegalStateException("boom"));
        driver.setPageRequestHandler(os);
        assertEquals(FaultKind.NOT_PRESENT, ((Translation.Fault) iommu.translate(PASID, 0x20000, Access.READ)).kind(),
                "an invalid address stays a not-present fault");
        assertEquals(FaultKind.PAGE_REQUEST_FAILED, ((Translation.Fault) iommu.translate(PASID, 0x20000, Access.READ)).kind(),
                "a handler that fails (throws) could not bring the page in");
        assertEquals(2, iommu.stats().pageRequestsFailed());
        assertEquals(2, iommu.faults().size());
    }

    @Test
    void onlyTheRegisteredHandlerCanClearItself() {
        PageRequestHandler os = mock(PageRequestHandler.class);
        PageRequestHandler stale = mock(PageRequestHandler.class);
        when(os.handle(any())).thenReturn(PageResponse.INVALID);
        driver.setPageRequestHandler(os);
        driver.clearPageRequestHandler(stale); // an OS instance that already went: no effect
        iommu.translate(PASID, 0x20000, Access.READ);
        verify(os).handle(any());
        driver.clearPageRequestHandler(os);
        iommu.translate(PASID, 0x20000, Access.READ);
        verify(os).handle(any()); // not asked again: no handler now
        assertEquals(2, iommu.stats().pageRequestsFailed());
        assertThrows(NullPointerException.class, () -> driver.setPageRequestHandler(null));
    }

    @Test
    void permissionFaultsNeverBecomePageRequests() {
        PageRequestHandler os = mock(PageRequestHandler.class);
        driver.setPageRequestHandler(os);
        tables.map4k(0x10000, 0x100000, Pte.PRESENT | Pte.USER);
        assertEquals(FaultKind.WRITE_PROTECTED, ((Translation.Fault) iommu.translate(PASID, 0x10000, Access.WRITE)).kind());
        verify(os, never()).handle(any());
    }

    @Test
    void dmaCrossesPagesAndStopsAtTheFirstFaultingPage() {
        tables.map4k(0x10000, 0x100000, USER_RW);
        tables.map4k(0x11000, 0x180000, USER_RW);
        tables.map4k(0x12000, 0x1C0000, Pte.PRESENT | Pte.USER); // read-only
        byte[] data = new byte[3 * 4096];
        Arrays.fill(data, (byte) 0x5A);
        DmaResult r = iommu.write(PASID, 0x10000, data);
        assertEquals(2 * 4096, r.bytesTransferred());
        assertEquals(FaultKind.WRITE_PROTECTED, r.fault().kind());
        assertEquals(0x12000, r.fault().va());
        byte[] page = new byte[4096];
        memory.read(0x1C0000, page, 0, 4096);
        assertArrayEquals(new byte[4096], page, "nothing written at or past the faulting page");
        memory.read(0x180000, page, 0, 4096);
        assertEquals(0x5A, page[4095]);

        byte[] back = new byte[2 * 4096 + 10];
        DmaResult read = iommu.read(PASID, 0x10000, back);
        assertTrue(read.completed(), "reading a read-only page is fine");
        assertEquals(0x5A, back[8191]);
        assertEquals(0, back[8192]);
    }

    @Test
    void dmaCopyMovesBytesBetweenVirtualRanges() {
        tables.map4k(0x10000, 0x100000, USER_RW);
        tables.map4k(0x11000, 0x101000, USER_RW);
        tables.map4k(0x40000, 0x900000, USER_RW);
        tables.map4k(0x41000, 0x700000, USER_RW);
        byte[] data = new byte[6000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i % 251);
        }
        assertNull(iommu.write(PASID, 0x10800, data).fault());
        assertTrue(iommu.copy(PASID, 0x10800, 0x40100, data.length).completed());
        byte[] out = new byte[data.length];
        assertTrue(iommu.read(PASID, 0x40100, out).completed());
        assertArrayEquals(data, out);
    }

    @Test
    void dmaWithUnboundPasidMovesNothing() {
        DmaResult r = iommu.read(77, 0x10000, new byte[16]);
        assertEquals(0, r.bytesTransferred());
        assertEquals(FaultKind.PASID_NOT_BOUND, r.fault().kind());
        assertInstanceOf(Translation.Fault.class, r.fault());
    }

    @Test
    void nonCanonicalAliasOfACachedKernelAddressNeverHits() {
        long kernel = 0xFFFF_8000_0001_0000L;
        tables.map4k(kernel, 0x100000, USER_RW);
        assertInstanceOf(Translation.Mapping.class, iommu.translate(PASID, kernel, Access.READ));
        long alias = 0x0000_8000_0001_0000L; // same low 48 bits, not canonical
        assertEquals(FaultKind.NON_CANONICAL, ((Translation.Fault) iommu.translate(PASID, alias, Access.READ)).kind());
        assertEquals(FaultKind.NON_CANONICAL, iommu.read(PASID, alias, new byte[4]).fault().kind());
    }

    @Test
    void faultLogKeepsTheMostRecent() {
        for (int i = 0; i < 20; i++) {
            iommu.translate(9, 0x1000L * i, Access.READ);
        }
        assertEquals(8, iommu.faults().size());
        assertEquals(20, iommu.faults().get(7).sequence());
        assertEquals(20, iommu.stats().faults());
    }

    static long pa(Translation t) {
        return ((Translation.Mapping) t).pagePa();
    }

    @Test
    void aMissUnderARegionWalkedBeforeReadsOneEntryThroughThePdeCache() {
        tables.map4k(0x200000, 0x300000, USER_RW);
        tables.map4k(0x201000, 0x301000, USER_RW);
        assertEquals(0x300000, pa(iommu.translate(PASID, 0x200000, Access.READ)));
        // the upper levels now say "not present": only a cached PDE can still reach the second page
        long pml4e = tables.root + 8L * Pte.index(0x201000, 4);
        long saved = memory.readLong(pml4e);
        memory.writeLong(pml4e, 0);
        assertEquals(0x301000, pa(iommu.translate(PASID, 0x201000, Access.READ)), "walked from the cached PDE");
        memory.writeLong(pml4e, saved);
    }

    @Test
    void aReboundPasidWalksItsNewTableNotACachedPde() {
        tables.map4k(0x200000, 0x300000, USER_RW);
        assertEquals(0x300000, pa(iommu.translate(PASID, 0x200000, Access.READ)));
        driver.unbind(PASID);
        Tables other = new Tables(memory, 64);
        other.map4k(0x201000, 0x401000, USER_RW);
        driver.bind(PASID, other.root);
        assertEquals(0x401000, pa(iommu.translate(PASID, 0x201000, Access.READ)),
                "the unbind invalidated the PASID's cached page-directory entries");
    }

    @Test
    void aRangeInvalidationDropsThePdeOfTheRegionsItTouches() {
        tables.map4k(0x200000, 0x300000, USER_RW);
        assertEquals(0x300000, pa(iommu.translate(PASID, 0x200000, Access.READ)));
        long table = tables.frame(); // a new page table for the region, as an OS that rebuilt it
        memory.writeLong(table + 8L * Pte.index(0x201000, 1), 0x501000 | USER_RW);
        memory.writeLong(tables.entry(0x200000, 2, Tables.TABLE), Pte.make(table, Tables.TABLE));
        driver.invalidate(PASID, 0x200000, 0x200000);
        assertEquals(0x501000, pa(iommu.translate(PASID, 0x201000, Access.READ)),
                "the range invalidation removed the region's cached PDE");
    }

    @Test
    void aCopyOverContiguousFramesStopsAtAPageItMayNotWriteAndCopiesRightAcrossAGapInTheFrames() {
        long src = 0x400000;
        long dst = 0x500000;
        long[] srcFrames = {0x600000, 0x601000, 0x700000, 0x701000}; // contiguous in pairs, a gap between
        for (int i = 0; i < 4; i++) {
            tables.map4k(src + i * 4096L, srcFrames[i], USER_RW);
            byte[] page = new byte[4096];
            Arrays.fill(page, (byte) (i + 1));
            memory.write(srcFrames[i], page, 0, 4096);
        }
        for (int i = 0; i < 4; i++) { // contiguous destination frames; page 3 read-only
            tables.map4k(dst + i * 4096L, 0x800000 + i * 4096L, i == 3 ? Pte.PRESENT | Pte.USER : USER_RW);
        }
        for (int i = 0; i < 4; i++) { // warm: every translation in the IOTLB (dirty where writable), so runs may extend
            iommu.translate(PASID, src + i * 4096L, Access.READ);
            iommu.translate(PASID, dst + i * 4096L, i == 3 ? Access.READ : Access.WRITE);
        }
        DmaResult r = iommu.copy(PASID, src, dst, 4 * 4096);
        assertEquals(3 * 4096, r.bytesTransferred(), "stopped at the read-only page");
        assertEquals(FaultKind.WRITE_PROTECTED, r.fault().kind());
        for (int i = 0; i < 3; i++) {
            byte[] out = new byte[4096];
            memory.read(0x800000 + i * 4096L, out, 0, 4096);
            byte[] expected = new byte[4096];
            Arrays.fill(expected, (byte) (i + 1));
            assertArrayEquals(expected, out, "page " + i);
        }
        byte[] untouched = new byte[4096];
        memory.read(0x803000, untouched, 0, 4096);
        assertArrayEquals(new byte[4096], untouched, "nothing written past the fault");
    }
}
