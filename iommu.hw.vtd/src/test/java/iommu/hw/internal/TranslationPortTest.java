package iommu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import iommu.hw.Access;
import iommu.hw.FaultKind;
import iommu.hw.Invalidation;
import iommu.hw.PageResponse;
import iommu.hw.Pte;
import iommu.hw.Translation;
import iommu.hw.vtd.VtdDriver;
import iommu.hw.TranslationPort;

/** The allocation-free translation port against the value-returning {@code translate}. */
class TranslationPortTest {
    static final long USER_RW = Pte.PRESENT | Pte.WRITABLE | Pte.USER;
    static final long USER_RO = Pte.PRESENT | Pte.USER;
    static final int PASID = 5;

    LazySystemMemory memory = new LazySystemMemory(256L << 20);
    IommuUnit iommu = IommuFixture.unit(memory, 0, 64, 8, 4);
    Tables tables;
    VtdDriver driver;

    @BeforeEach
    void setUp() {
        tables = new Tables(memory, 1);
        driver = tables.driver(iommu);
        driver.bind(PASID, tables.root);
    }

    @Test
    void aPortCountsItsOwnHitsAndTheUnitKeepsThemAfterItCloses() {
        tables.map4k(0x10000, 0x100000, USER_RW);
        TranslationPort port = iommu.openPort();
        assertEquals(0x100010, port.physicalAddress(PASID, 0x10010, Access.READ));
        assertEquals(0x100ff8, port.physicalAddress(PASID, 0x10ff8, Access.READ));
        assertEquals(1, port.hits());
        assertEquals(1, port.misses());
        assertEquals(2, iommu.stats().translations(), "an open port's counts are in the unit's");
        port.close();
        port.close();
        assertEquals(1, iommu.stats().iotlbHits(), "closing (twice) keeps them, once");
        assertEquals(1, iommu.stats().iotlbMisses());
        var e = assertThrows(IllegalStateException.class, () -> port.physicalAddress(PASID, 0x10000, Access.READ));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        try (TranslationPort other = iommu.openPort()) {
            assertThrows(IllegalArgumentException.class, () -> other.physicalAddress(-1, 0x10000, Access.READ));
            assertEquals(0, other.hits() + other.misses(), "a refused call counts nothing");
        }
    }

    @Test
    void aWriteThroughAPortNeedsWriteRightsAndSetsDirtyAFaultIsRecorded() {
        tables.map4k(0x10000, 0x100000, USER_RW);
        tables.map4k(0x11000, 0x101000, USER_RO);
        tables.map4k(0x12000, 0x102000, USER_RO | Pte.NO_EXECUTE);
        try (TranslationPort port = iommu.openPort()) {
            port.physicalAddress(PASID, 0x10000, Access.READ);
            assertEquals(0x100000, port.physicalAddress(PASID, 0x10000, Access.WRITE), "a clean entry is walked again");
            assertEquals(2, port.misses());
            assertTrue((memory.readLong(tables.entry(0x10000, 1, Tables.TABLE)) & Pte.DIRTY) != 0);
            assertEquals(TranslationPort.FAULTED, port.physicalAddress(PASID, 0x11000, Access.WRITE));
            assertEquals(FaultKind.WRITE_PROTECTED, port.lastFault().kind());
            assertEquals(FaultKind.WRITE_PROTECTED, iommu.faults().get(0).fault().kind());
            assertEquals(0x101000, port.physicalAddress(PASID, 0x11000, Access.EXECUTE));
            assertEquals(TranslationPort.FAULTED, port.physicalAddress(PASID, 0x12000, Access.EXECUTE));
            assertEquals(FaultKind.EXECUTE_PROTECTED, port.lastFault().kind());
            assertEquals(TranslationPort.FAULTED, port.physicalAddress(PASID, 0x13000, Access.READ));
            assertEquals(FaultKind.PAGE_REQUEST_FAILED, port.lastFault().kind(), "no resolver: the request fails");
        }
    }

    @Test
    void aPortSeesAnInvalidationAndItsPageRequestsBringPagesIn() {
        tables.map4k(0x10000, 0x100000, USER_RW);
        driver.setPageRequestHandler(r -> {
            tables.map4k(r.va() & ~0xFFFL, 0x300000, USER_RW);
            return PageResponse.SUCCESS;
        });
        try (TranslationPort port = iommu.openPort()) {
            assertEquals(0x100000, port.physicalAddress(PASID, 0x10000, Access.READ));
            tables.map4k(0x10000, 0x200000, USER_RW);
            driver.invalidate(PASID, 0x10000, 4096);
            assertEquals(0x200000, port.physicalAddress(PASID, 0x10000, Access.READ), "no stale entry after invalidation");
            assertEquals(0x300008, port.physicalAddress(PASID, 0x40008, Access.WRITE), "a page request brought it in");
            assertEquals(1, iommu.stats().pageRequests());
        }
    }

    /**
     * Random pages (4 KiB and 2 MiB, some read-only, some absent) remapped and invalidated at random: a
     * port and {@code translate} agree on every address, through a small IOTLB that keeps evicting.
     */
    @Test
    void aPortAgreesWithTranslateOverRandomMappingsAndInvalidations() {
        long seed = Long.getLong("port.seed", System.nanoTime());
        Random rnd = new Random(seed);
        try (TranslationPort port = iommu.openPort()) {
            for (int op = 0; op < 4000; op++) {
                long va = 0x4000_0000L + (long) rnd.nextInt(256) * 4096;
                int kind = rnd.nextInt(10);
                if (kind == 0) {
                    tables.map4k(va, 0x100_0000L + (long) rnd.nextInt(4096) * 4096, rnd.nextBoolean() ? USER_RW : USER_RO);
                    driver.invalidate(PASID, va, 4096);
                } else if (kind == 1) {
                    long region = 0x4000_0000L + (long) rnd.nextInt(2) * (2 << 20);
                    tables.map2m(region + (4L << 20), 0x400_0000L + (long) rnd.nextInt(8) * (2 << 20), USER_RW);
                    driver.invalidate(PASID, region + (4L << 20), 2 << 20);
                } else {
                    if (rnd.nextInt(4) == 0) {
                        va += 4L << 20; // the 2 MiB pages, when mapped
                    }
                    Access access = rnd.nextBoolean() ? Access.READ : Access.WRITE;
                    long pa = port.physicalAddress(PASID, va + 8, access);
                    Translation t = iommu.translate(PASID, va + 8, access);
                    String at = String.format("seed %d, op %d: %s 0x%x", seed, op, access, va + 8);
                    if (t instanceof Translation.Mapping m) {
                        assertEquals(m.physicalAddress(va + 8), pa, at);
                    } else {
                        assertEquals(TranslationPort.FAULTED, pa, at);
                        assertEquals(((Translation.Fault) t).kind(), port.lastFault().kind(), at);
                    }
                }
            }
            assertTrue(port.hits() > 0 && port.misses() > 0, "hits " + port.hits() + ", misses " + port.misses());
        }
    }

    /**
     * One thread keeps translating a page (each invalidation makes it walk and fill again) while another
     * remaps the page and invalidates: once an invalidation has returned, no fill whose walk read the old
     * entry may be found in the IOTLB, for a port's fills or for the value path's.
     */
    @Test
    void aFillRacingAnInvalidationNeverLeavesTheOldTranslationBehind() throws Exception {
        long va = 0x7000_0000L;
        tables.map4k(va, 0x100_0000L, USER_RW);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread filler = new Thread(() -> {
            try (TranslationPort port = iommu.openPort()) {
                for (int n = 0; !done.get(); n++) {
                    if (n % 2 == 0) {
                        port.physicalAddress(PASID, va, Access.READ);
                    } else {
                        iommu.translate(PASID, va, Access.READ);
                    }
                }
            }
        });
        filler.start();
        int rounds = Integer.getInteger("soak.factor", 1) * 100_000;
        try (TranslationPort port = iommu.openPort()) {
            for (int k = 1; k <= rounds; k++) {
                long frame = 0x100_0000L + (k % 2) * 0x1000;
                tables.map4k(va, frame, USER_RW);
                driver.invalidate(PASID, va, 4096);
                assertEquals(frame, port.physicalAddress(PASID, va, Access.READ), "round " + k + ": a stale fill survived");
                assertEquals(frame, ((Translation.Mapping) iommu.translate(PASID, va, Access.READ)).pagePa(), "round " + k);
            }
        } finally {
            done.set(true);
            filler.join();
        }
    }
}
