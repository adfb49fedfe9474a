package os.memmgr.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import os.memmgr.AddressSpace;
import os.memmgr.FrameCounts;
import os.memmgr.MemoryException;
import os.memmgr.PageProtection;
import os.memmgr.PinnedPages;
import os.memmgr.ProcessListener;
import os.memmgr.RegionInfo;
import os.memmgr.Status;

class AddressSpaceTest {
    Machine m = new Machine();
    int pid = m.mm.spawn("app");
    AddressSpace as = m.mm.addressSpace(pid);

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void committedMemoryIsDemandZeroAndHoldsWrites() {
        long va = as.allocate(3 * 4096, PageProtection.READWRITE);
        assertEquals(0, m.mm.frames().privateFrames(), "no frame before first touch");
        assertArrayEquals(new byte[64], as.read(va + 4096, 64));
        assertEquals(1, m.mm.frames().privateFrames(), "a read of a committed page gets a zero frame");
        as.write(va + 4090, text("across-a-page"));
        assertArrayEquals(text("across-a-page"), as.read(va + 4090, 13));
        assertEquals(2, m.mm.frames().privateFrames());
    }

    @Test
    void reservationsAre64KAlignedAndDoNotOverlap() {
        long a = as.allocate(5000, PageProtection.READWRITE);
        long b = as.allocate(5000, PageProtection.READWRITE);
        assertEquals(0, a % AddressSpace.ALLOCATION_GRANULARITY);
        assertEquals(0, b % AddressSpace.ALLOCATION_GRANULARITY);
        assertNotEquals(a, b);
        RegionInfo q = as.query(a);
        assertEquals(RegionInfo.State.COMMIT, q.state());
        assertEquals(8192, q.size(), "5000 bytes round up to two pages");
        assertEquals(RegionInfo.State.FREE, as.query(a + 0x8000).state());
        MemoryException e = assertThrows(MemoryException.class, () -> as.reserve(a, 4096));
        assertEquals(Status.CONFLICTING_ADDRESSES, e.status());
    }

    @Test
    void reserveThenCommitPartOfIt() {
        long base = as.reserve(0x4000_0000L, 16 * 4096);
        assertEquals(0x4000_0000L, base);
        assertEquals(Status.ACCESS_VIOLATION, assertThrows(MemoryException.class, () -> as.read(base, 1)).status());
        as.commit(base + 4096, 4096, PageProtection.READONLY);
        assertEquals(RegionInfo.State.RESERVE, as.query(base).state());
        RegionInfo q = as.query(base + 4096);
        assertEquals(RegionInfo.State.COMMIT, q.state());
        assertEquals(PageProtection.READONLY, q.protection());
        assertEquals(Status.ACCESS_VIOLATION,
                assertThrows(MemoryException.class, () -> as.write(base + 4096, text("x"))).status());
    }

    @Test
    void decommitFreesFramesAndTheContent() {
        long va = as.allocate(2 * 4096, PageProtection.READWRITE);
        as.write(va, text("secret"));
        long before = m.mm.frames().free();
        as.decommit(va, 4096);
        assertEquals(before + 1, m.mm.frames().free());
        assertEquals(RegionInfo.State.RESERVE, as.query(va).state());
        as.commit(va, 4096, PageProtection.READWRITE);
        assertArrayEquals(new byte[6], as.read(va, 6), "recommitted page is zero again");
    }

    @Test
    void protectNoAccessKeepsTheBytesForLater() {
        long va = as.allocate(4096, PageProtection.READWRITE);
        as.write(va, text("kept"));
        assertEquals(PageProtection.READWRITE, as.protect(va, 4096, PageProtection.NOACCESS));
        assertEquals(Status.ACCESS_VIOLATION, assertThrows(MemoryException.class, () -> as.read(va, 4)).status());
        as.protect(va, 4096, PageProtection.READONLY);
        assertArrayEquals(text("kept"), as.read(va, 4));
    }

    @Test
    void sectionViewsShareFramesAcrossProcesses() {
        int other = m.mm.spawn("peer");
        long section = m.mm.createSection(8192);
        long a = as.mapSection(section, PageProtection.READWRITE);
        long b = m.mm.addressSpace(other).mapSection(section, PageProtection.READONLY);
        as.write(a + 4096, text("shared"));
        assertArrayEquals(text("shared"), m.mm.addressSpace(other).read(b + 4096, 6));
        assertEquals(1, m.mm.frames().shared());
        assertEquals(Status.ACCESS_VIOLATION,
                assertThrows(MemoryException.class, () -> m.mm.addressSpace(other).write(b, text("no"))).status());
        m.mm.closeSection(section);
        as.release(a);
        assertEquals(1, m.mm.frames().shared(), "still mapped by the peer");
        m.mm.kill(other);
        assertEquals(0, m.mm.frames().shared(), "last view gone: section frames freed");
        assertEquals(Status.INVALID_HANDLE,
                assertThrows(MemoryException.class, () -> as.mapSection(section, PageProtection.READWRITE)).status());
    }

    @Test
    void pinnedFramesOutliveAFreeUntilUnpinned() {
        long va = as.allocate(2 * 4096, PageProtection.READWRITE);
        as.write(va, text("pinned"));
        PinnedPages pin = as.pin(va, 2 * 4096, true);
        assertEquals(2, pin.frames().length);
        assertEquals(2, m.mm.frames().pinned());
        as.release(va);
        assertEquals(2, m.mm.frames().privateFrames(), "freed but pinned frames stay allocated");
        byte[] still = new byte[6];
        m.memory.read(pin.frames()[0] << 12, still, 0, 6);
        assertArrayEquals(text("pinned"), still, "the bytes are still there for a DMA reader");
        as.unpin(pin.handle());
        assertEquals(0, m.mm.frames().privateFrames());
        assertEquals(0, m.mm.frames().pinned());
        assertEquals(Status.INVALID_HANDLE, assertThrows(MemoryException.class, () -> as.unpin(pin.handle())).status());
    }

    @Test
    void killReturnsEveryFrameAndThePasid() {
        FrameCounts start = m.mm.frames();
        int p = m.mm.spawn("short-lived");
        AddressSpace s = m.mm.addressSpace(p);
        long va = s.allocate(64 * 4096, PageProtection.READWRITE);
        for (int i = 0; i < 64; i += 3) {
            s.write(va + i * 4096L, text("x"));
        }
        s.pin(va, 4096, false);
        int pasid = m.mm.bindIommu(p);
        assertEquals(pasid, m.mm.bindIommu(p), "binding is idempotent");
        m.mm.kill(p);
        assertEquals(start, m.mm.frames());
        assertTrue(m.iommu.boundPasids().isEmpty());
        assertEquals(Status.INVALID_CID, assertThrows(MemoryException.class, () -> m.mm.addressSpace(p)).status());
        assertEquals(Status.PROCESS_IS_TERMINATING, assertThrows(MemoryException.class, () -> s.read(va, 1)).status());
        assertEquals(pasid, m.mm.bindIommu(pid), "the PASID is free for reuse");
    }

    @Test
    void listenersHearOfExitBeforeTeardownAndMayThrow() {
        ProcessListener listener = mock(ProcessListener.class);
        doThrow(new IllegalStateException("listener bug")).when(listener).processExiting(pid);
        m.mm.addProcessListener(listener);
        m.mm.kill(pid);
        verify(listener).processExiting(pid);
        assertTrue(m.mm.processes().isEmpty());
    }

    /** Runs a call that must fail with {@code status} and checks it changed nothing visible. */
    void rejected(Status status, String mentions, Executable call) {
        FrameCounts frames = m.mm.frames();
        var processes = m.mm.processes();
        MemoryException e = assertThrows(MemoryException.class, call);
        assertEquals(status, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains(mentions), "message '" + e.getMessage() + "' names " + mentions);
        assertEquals(frames, m.mm.frames());
        assertEquals(processes, m.mm.processes());
    }

    @Test
    void badInputIsRejectedWithAClearErrorAndNoChange() {
        long va = as.allocate(4096, PageProtection.READWRITE);
        as.write(va, text("x"));
        rejected(Status.INVALID_PARAMETER, "size", () -> as.allocate(0, PageProtection.READWRITE));
        rejected(Status.INVALID_PARAMETER, "size", () -> as.allocate(1L << 50, PageProtection.READWRITE));
        rejected(Status.INVALID_PARAMETER, "not canonical", () -> as.commit(0x0000_9000_0000_0000L, 4096, PageProtection.READWRITE));
        rejected(Status.INVALID_PARAMETER, "page aligned", () -> as.decommit(va + 1, 4096));
        rejected(Status.INVALID_PARAMETER, "64 KiB", () -> as.reserve(0x5000_1000L, 4096));
        rejected(Status.INVALID_ADDRESS, "outside user space", () -> as.reserve(0x1000, 4096));
        rejected(Status.MEMORY_NOT_ALLOCATED, "0x7000000", () -> as.protect(0x7000_0000L, 4096, PageProtection.READONLY));
        rejected(Status.FREE_VM_NOT_AT_BASE, "base", () -> as.release(va + 0x800));
        rejected(Status.INVALID_RANGE, "runs past", () -> as.protect(va, 8192, PageProtection.READONLY));
        rejected(Status.INVALID_CID, "pid 999", () -> m.mm.addressSpace(999));
        rejected(Status.INVALID_PARAMETER, "protection", () -> PageProtection.parse("rwz"));
        as.release(va);
        rejected(Status.MEMORY_NOT_ALLOCATED, "nothing is reserved", () -> as.release(va));
        long reserved = as.reserve(0, 4 * 4096);
        rejected(Status.NOT_COMMITTED, "not committed", () -> as.protect(reserved, 4096, PageProtection.READONLY));
        rejected(Status.INVALID_HANDLE, "section", () -> as.mapSection(12345, PageProtection.READWRITE));
    }
}
