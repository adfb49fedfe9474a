package os.memmgr.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import iommu.hw.Access;
import iommu.hw.DmaResult;
import iommu.hw.FaultKind;
import iommu.hw.Translation;
import os.memmgr.AddressSpace;
import os.memmgr.FrameCounts;
import os.memmgr.MemoryException;
import os.memmgr.PageProtection;
import os.memmgr.PagingInfo;
import os.memmgr.ProcessInfo;
import os.memmgr.RegionInfo;
import os.memmgr.Status;

/** The pagefile, the commit charge, trimming, page-out and page-in by the CPU and by page requests. */
class PagingTest {
    static final int PAGE = 4096;

    @TempDir
    Path dir;
    Machine m;

    @AfterEach
    void stop() {
        if (m != null) {
            m.shutdown();
        }
    }

    static byte[] pattern(long seed, int length) {
        byte[] b = new byte[length];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    ProcessInfo info(int pid) {
        return m.mm.processes().stream().filter(p -> p.pid() == pid).findFirst().orElseThrow();
    }

    @Test
    void trimmedPagesComeBackByteForByteOnACpuRead() {
        m = Machine.withPagefile(16L << 20, dir, 64);
        int pid = m.mm.spawn("a");
        AddressSpace as = m.mm.addressSpace(pid);
        long va = as.allocate(16 * PAGE, PageProtection.READWRITE);
        byte[] data = pattern(1, 16 * PAGE);
        as.write(va, data);
        FrameCounts before = m.mm.frames();

        assertEquals(16, m.mm.trim(pid, 100), "every page of the working set is trimmed (second chance included)");
        assertEquals(16, info(pid).pagedOutPages());
        assertEquals(0, info(pid).residentPages());
        assertEquals(before.privateFrames() - 16, m.mm.frames().privateFrames());
        assertEquals(16, m.pagefile.usedSlots());
        assertEquals(16, m.pagefile.pagesOut());

        assertArrayEquals(data, as.read(va, data.length), "the CPU faults every page back in");
        assertEquals(16, m.pagefile.pagesIn());
        assertEquals(0, info(pid).pagedOutPages());
        assertEquals(16, m.pagefile.usedSlots(), "clean copies keep their slots");

        assertEquals(16, m.mm.trim(pid, 100));
        assertEquals(16, m.pagefile.pagesOut(), "clean pages with a current copy are dropped, not written");
        assertEquals(16, m.mm.paging().pagesDropped());
        as.write(va, new byte[] {42});
        data[0] = 42;
        assertEquals(1, info(pid).residentPages(), "the write paged in only its page");
        assertEquals(1, m.mm.trim(pid, 100));
        assertEquals(17, m.pagefile.pagesOut(), "the one dirtied page is written again, into its own slot");
        assertEquals(16, m.pagefile.usedSlots());
        assertArrayEquals(data, as.read(va, data.length));

        m.mm.kill(pid);
        PagingInfo p = m.mm.paging();
        assertEquals(0, p.slotsUsed());
        assertEquals(0, p.commitCharge());
        assertEquals(0, m.mm.frames().privateFrames());
    }

    @Test
    void aGpuAccessToAPagedOutPageIsAPageRequestThatPagesItIn() {
        m = Machine.withPagefile(16L << 20, dir, 64);
        int pid = m.mm.spawn("a");
        int pasid = m.mm.bindIommu(pid);
        AddressSpace as = m.mm.addressSpace(pid);
        long va = as.allocate(4 * PAGE, PageProtection.READWRITE);
        byte[] data = pattern(2, 4 * PAGE);
        as.write(va, data);
        byte[] out = new byte[data.length];
        assertTrue(m.iommu.read(pasid, va, out).completed(), "warms the IOTLB");
        long requests = m.iommu.stats().pageRequests();

        assertEquals(4, m.mm.trim(pid, 4));
        // the trimmed frames go to another process at once (last in, first out): a stale IOTLB entry would read its bytes
        int other = m.mm.spawn("b");
        AddressSpace b = m.mm.addressSpace(other);
        long vb = b.allocate(8 * PAGE, PageProtection.READWRITE);
        byte[] ones = new byte[8 * PAGE];
        Arrays.fill(ones, (byte) 0x5A);
        b.write(vb, ones);

        Arrays.fill(out, (byte) 0);
        DmaResult r = m.iommu.read(pasid, va, out);
        assertNull(r.fault());
        assertArrayEquals(data, out, "the GPU reads the process's bytes, paged back in, not the frames' new owner's");
        assertEquals(requests + 4, m.iommu.stats().pageRequests(), "one page request a page");
        assertEquals(4, m.pagefile.pagesIn());

        byte[] gpu = pattern(3, 4 * PAGE);
        assertEquals(4, m.mm.trim(pid, 4));
        assertTrue(m.iommu.write(pasid, va, gpu).completed(), "a GPU write pages in too");
        assertEquals(4, m.mm.trim(pid, 4));
        assertEquals(8, m.pagefile.pagesOut() - 0, "the GPU's writes set the dirty bit: written out again");
        assertArrayEquals(gpu, as.read(va, gpu.length));
    }

    @Test
    void commitBeyondRamPlusPagefileFailsAndChangesNothing() {
        m = Machine.withPagefile(16L << 20, dir, 16);
        long limit = m.mm.paging().commitLimit();
        assertEquals(4096 - 1 + 4096, limit, "RAM frames (less frame 0) plus pagefile slots");
        int pid = m.mm.spawn("a");
        AddressSpace as = m.mm.addressSpace(pid);
        long va = as.allocate(8L << 20, PageProtection.READWRITE);
        long reserved = as.reserve(0, 64L << 20);

        var e = assertThrows(MemoryException.class, () -> as.allocate(64L << 20, PageProtection.READWRITE));
        assertEquals(Status.COMMITMENT_LIMIT, e.status());
        assertTrue(e.getMessage().contains("commit limit"), e.getMessage());
        e = assertThrows(MemoryException.class, () -> as.commit(reserved, 32L << 20, PageProtection.READWRITE));
        assertEquals(Status.COMMITMENT_LIMIT, e.status());
        assertEquals(RegionInfo.State.RESERVE, as.query(reserved).state(), "nothing was committed");
        assertEquals(2048, info(pid).commitCharge());
        assertEquals(2048, m.mm.paging().commitCharge());
        e = assertThrows(MemoryException.class, () -> m.mm.createSection(64L << 20));
        assertEquals(Status.COMMITMENT_LIMIT, e.status());
        assertTrue(m.mm.sections().isEmpty());

        as.commit(reserved, 16L << 20, PageProtection.READWRITE);
        assertEquals(2048 + 4096, info(pid).commitCharge());
        as.decommit(reserved, 16L << 20);
        as.release(va);
        assertEquals(0, m.mm.paging().commitCharge());
    }

    @Test
    void withoutAPagefileTheCommitLimitIsRam() {
        m = new Machine(16L << 20);
        int pid = m.mm.spawn("a");
        var e = assertThrows(MemoryException.class,
                () -> m.mm.addressSpace(pid).allocate(64L << 30, PageProtection.READWRITE));
        assertEquals(Status.COMMITMENT_LIMIT, e.status());
        assertEquals(0, m.mm.trim(pid, 10), "nothing to trim into");
    }

    @Test
    void touchingTwiceRamPagesOutByItselfAndEveryByteSurvives() {
        m = Machine.withPagefile(4L << 20, dir, 32);
        long unitTables = m.mm.frames().iommuTables(); // the IOMMU unit's root, context and PASID directory, its queues
        assertEquals(0, m.mm.frames().pageTables(), "no process: no page table");
        int pid = m.mm.spawn("big");
        int pasid = m.mm.bindIommu(pid);
        AddressSpace as = m.mm.addressSpace(pid);
        int bytes = 8 << 20;
        long va = as.allocate(bytes, PageProtection.READWRITE);
        for (int off = 0; off < bytes; off += 1 << 20) {
            as.write(va + off, pattern(off, 1 << 20));
        }
        assertTrue(m.pagefile.pagesOut() > 1024, "automatic trimming paged out " + m.pagefile.pagesOut());
        for (int off = 0; off < bytes; off += 1 << 20) {
            byte[] out = new byte[1 << 20];
            if (off % (2 << 20) == 0) {
                assertArrayEquals(pattern(off, 1 << 20), as.read(va + off, out.length), "CPU at " + off);
            } else {
                assertTrue(m.iommu.read(pasid, va + off, out).completed());
                assertArrayEquals(pattern(off, 1 << 20), out, "GPU at " + off);
            }
        }
        assertTrue(m.iommu.stats().pageRequests() > 0);
        assertTrue(m.mm.frames().free() > 0);
        m.mm.kill(pid);
        assertEquals(0, m.mm.paging().slotsUsed());
        assertEquals(0, m.mm.frames().privateFrames() + m.mm.frames().pageTables());
        assertEquals(unitTables, m.mm.frames().iommuTables(), "its PASID table went with its last PASID");
    }

    @Test
    void pinnedPagesAreNeverTrimmedAndExhaustionIsAClearError() {
        m = Machine.withPagefile(1L << 20, dir, 16);
        int pid = m.mm.spawn("pinner");
        AddressSpace as = m.mm.addressSpace(pid);
        long va = as.allocate(2L << 20, PageProtection.READWRITE);
        long freeBefore = m.mm.frames().free();
        var pin = as.pin(va, (freeBefore - 8) * PAGE, true);
        assertEquals(0, m.mm.trim(pid, 1000), "pinned pages stay");
        var e = assertThrows(MemoryException.class, () -> as.pin(va + (freeBefore - 8) * PAGE, 64 * PAGE, true));
        assertEquals(Status.NO_MEMORY, e.status());
        assertTrue(e.getMessage().contains("no free frame"), e.getMessage());
        assertEquals(pin.frames().length, m.mm.frames().pinned(), "the failed pin left no page locked");
        as.unpin(pin.handle());
        assertTrue(m.mm.trim(pid, 1000) > 0, "unpinned, they can be trimmed");
        m.mm.kill(pid);
        assertEquals(0, m.mm.frames().pinned());
        assertEquals(0, m.mm.paging().slotsUsed());
    }

    @Test
    void aPinLargerThan64MiBWorks() {
        m = new Machine(256L << 20);
        int pid = m.mm.spawn("a");
        AddressSpace as = m.mm.addressSpace(pid);
        long va = as.allocate(96L << 20, PageProtection.READWRITE);
        var pin = as.pin(va, 96L << 20, false);
        assertEquals(96 * 256, pin.frames().length);
        as.unpin(pin.handle());
    }

    @Test
    void aFullPagefileStopsTrimmingWithoutLosingAByte() {
        m = Machine.withPagefile(16L << 20, dir, 1);
        int pid = m.mm.spawn("a");
        AddressSpace as = m.mm.addressSpace(pid);
        long va = as.allocate(300 * PAGE, PageProtection.READWRITE);
        byte[] data = pattern(5, 300 * PAGE);
        as.write(va, data);
        assertEquals(256, m.mm.trim(pid, 300), "a 1 MiB pagefile holds 256 pages");
        assertEquals(44, info(pid).residentPages());
        assertArrayEquals(data, as.read(va, data.length));
        assertEquals(256, m.pagefile.usedSlots(), "the pages read back keep their copies");
        byte[] dirty = pattern(8, 300 * PAGE);
        as.write(va, dirty);
        assertEquals(256, m.mm.trim(pid, 300), "dirty pages reuse the slots of their stale copies; the pagefile holds no more");
        assertArrayEquals(dirty, as.read(va, dirty.length));
    }

    @Test
    void pagefileWriteAndReadErrorsAreCountedAndNamed() {
        FailingIo io = new FailingIo();
        m = new Machine(16L << 20, new PagingFile(dir.resolve("p.sys"), 256, io), 1);
        int pid = m.mm.spawn("a");
        int pasid = m.mm.bindIommu(pid);
        AddressSpace as = m.mm.addressSpace(pid);
        long va = as.allocate(4 * PAGE, PageProtection.READWRITE);
        byte[] data = pattern(6, 4 * PAGE);
        as.write(va, data);

        io.failWrites = true;
        assertEquals(0, m.mm.trim(pid, 4), "a failed write leaves the page where it was");
        assertEquals(4, m.pagefile.ioErrors());
        assertEquals(0, m.pagefile.usedSlots());
        assertEquals(0, m.mm.frames().transition());
        assertArrayEquals(data, as.read(va, data.length));

        io.failWrites = false;
        assertEquals(4, m.mm.trim(pid, 4));
        io.failReads = true;
        var e = assertThrows(MemoryException.class, () -> as.read(va, 1));
        assertEquals(Status.IN_PAGE_ERROR, e.status());
        assertTrue(e.getMessage().contains("pagefile slot"), e.getMessage());
        DmaResult r = m.iommu.read(pasid, va + PAGE, new byte[PAGE]);
        assertFalse(r.completed(), "a page request that cannot be met is a fault, never zeros");
        assertEquals(FaultKind.PAGE_REQUEST_FAILED, r.fault().kind(), "the page exists; the OS could not bring it in");
        Translation t = m.iommu.translate(pasid, va, Access.READ);
        assertTrue(t instanceof Translation.Fault);
        assertEquals(4, info(pid).pagedOutPages(), "nothing was lost");

        io.failReads = false;
        assertArrayEquals(data, as.read(va, data.length));
        m.mm.kill(pid);
        assertEquals(0, m.mm.paging().slotsUsed());
        assertEquals(0, m.mm.frames().privateFrames());
    }

    @Test
    void aStalePagefileIsTruncatedAndTheFileDeletedAtShutdown() throws Exception {
        Path file = dir.resolve("pagefile.sys");
        Files.write(file, pattern(7, 3 * PAGE));
        m = Machine.withPagefile(16L << 20, dir, 16);
        assertEquals(0, Files.size(file), "a pagefile left by a crash is never trusted");
        int pid = m.mm.spawn("a");
        AddressSpace as = m.mm.addressSpace(pid);
        long va = as.allocate(PAGE, PageProtection.READWRITE);
        as.write(va, new byte[] {1, 2, 3});
        m.mm.trim(pid, 1);
        assertEquals(PAGE, Files.size(file));
        m.shutdown();
        m = null;
        assertFalse(Files.exists(file), "a clean shutdown deletes the pagefile");
    }

    @Test
    void hostMemoryGoesBackWhenProcessesExit() {
        m = new Machine(256L << 20);
        long base = m.memory.hostBytes();
        for (int i = 0; i < 3; i++) {
            int pid = m.mm.spawn("p" + i);
            AddressSpace as = m.mm.addressSpace(pid);
            long va = as.allocate(32L << 20, PageProtection.READWRITE);
            for (long off = 0; off < (32L << 20); off += PAGE) {
                as.write(va + off, new byte[] {1});
            }
        }
        assertTrue(m.memory.hostBytes() >= 96L << 20);
        for (var p : m.mm.processes()) {
            m.mm.kill(p.pid());
        }
        // system memory keeps the last 16 emptied banks (4 MiB) for frames that are reused soon
        assertTrue(m.memory.hostBytes() <= base + (4 << 20) + (256 << 10), "host memory " + m.memory.hostBytes() + " after every exit");
    }

    /** Pagefile I/O that fails on demand. */
    static final class FailingIo implements PagingFile.Io {
        final java.util.Map<Long, byte[]> slots = new java.util.HashMap<>();
        volatile boolean failWrites;
        volatile boolean failReads;

        @Override
        public void write(long position, java.nio.ByteBuffer src) throws java.io.IOException {
            if (failWrites) {
                throw new java.io.IOException("injected write error");
            }
            byte[] b = new byte[src.remaining()];
            src.get(b);
            slots.put(position, b);
        }

        @Override
        public void read(long position, java.nio.ByteBuffer dst) throws java.io.IOException {
            if (failReads) {
                throw new java.io.IOException("injected read error");
            }
            dst.put(slots.get(position));
        }

        @Override
        public void close() {
        }
    }
}
