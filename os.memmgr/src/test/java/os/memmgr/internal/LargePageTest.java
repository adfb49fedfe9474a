package os.memmgr.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import iommu.hw.Access;
import iommu.hw.PageSize;
import iommu.hw.Translation;
import os.memmgr.AddressSpace;
import os.memmgr.FrameCounts;
import os.memmgr.MemoryException;
import os.memmgr.PageProtection;
import os.memmgr.Status;

/** MEM_LARGE_PAGES: 2 MiB pages, contiguous and aligned, mapped at once, never paged, released whole. */
class LargePageTest {
    static final long MB2 = 2L << 20;
    final Machine m = new Machine(64L << 20);
    final FrameCounts start = m.mm.frames();
    final int pid = m.mm.spawn("large");
    final AddressSpace as = m.mm.addressSpace(pid);
    final int pasid = m.mm.bindIommu(pid);

    @AfterEach
    void shutdown() {
        m.shutdown();
    }

    @Test
    void largePagesAreContiguousAlignedAndSharedByTheCpuAndTheIommu() {
        as.allocate(64 * 1024, PageProtection.READWRITE); // something below, so the large VA is not the first
        long va = as.allocateLarge(2 * MB2, PageProtection.READWRITE);
        assertEquals(0, va % MB2, "2 MiB aligned VA");
        Translation.Mapping first = assertInstanceOf(Translation.Mapping.class, m.iommu.translate(pasid, va + 4096, Access.WRITE));
        assertEquals(PageSize.SIZE_2M, first.size());
        assertEquals(0, first.pagePa() % MB2, "2 MiB aligned frames");
        assertEquals(0, m.iommu.stats().pageRequests(), "mapped at allocation: no page request");
        byte[] data = "written by the CPU across the 2 MiB boundary".getBytes();
        as.write(va + MB2 - 10, data);
        byte[] out = new byte[data.length];
        assertTrue(m.iommu.read(pasid, va + MB2 - 10, out).completed());
        assertArrayEquals(data, out);
        assertEquals(1024, m.mm.frames().privateFrames() - start.privateFrames(), "2 x 512 frames (the 64 KiB below was never touched)");
        assertEquals(0, m.mm.trim(pid, 4096), "large pages are never paged");
        assertArrayEquals(data, as.read(va + MB2 - 10, data.length));
    }

    @Test
    void largePagesAreReleasedWholeAndNoTranslationOutlivesThem() {
        long va = as.allocateLarge(MB2, PageProtection.READWRITE);
        as.write(va, new byte[] {7});
        assertInstanceOf(Translation.Mapping.class, m.iommu.translate(pasid, va, Access.READ)); // in the IOTLB now
        MemoryException e = assertThrows(MemoryException.class, () -> as.decommit(va, 4096));
        assertTrue(e.getMessage().contains("large-page memory"), e.getMessage());
        assertThrows(MemoryException.class, () -> as.protect(va, MB2, PageProtection.READONLY));
        assertEquals(7, as.read(va, 1)[0], "the refused calls changed nothing");
        as.release(va);
        assertInstanceOf(Translation.Fault.class, m.iommu.translate(pasid, va, Access.READ),
                "the release invalidated the 2 MiB translation");
        m.mm.kill(pid);
        assertEquals(start, m.mm.frames(), "every frame back");
        assertEquals(0, m.mm.paging().commitCharge());
    }

    @Test
    void badSizesAndExhaustedContiguousMemoryAreRefusedAndChangeNothing() {
        MemoryException e = assertThrows(MemoryException.class, () -> as.allocateLarge(MB2 + 4096, PageProtection.READWRITE));
        assertEquals(Status.INVALID_PARAMETER, e.status());
        assertTrue(e.getMessage().contains("multiple of 2 MiB"), e.getMessage());
        assertThrows(MemoryException.class, () -> as.allocateLarge(MB2, PageProtection.NOACCESS));
        FrameCounts before = m.mm.frames();
        long charge = m.mm.paging().commitCharge();
        e = assertThrows(MemoryException.class, () -> as.allocateLarge(64L << 20, PageProtection.READWRITE));
        assertTrue(e.status() == Status.NO_MEMORY || e.status() == Status.COMMITMENT_LIMIT, e.getMessage());
        assertEquals(before, m.mm.frames(), "no frame kept");
        assertEquals(charge, m.mm.paging().commitCharge(), "no commit kept");
        long va = as.allocateLarge(MB2, PageProtection.READWRITE); // 4 KiB pages freed earlier do not block one
        as.release(va);
    }
}
