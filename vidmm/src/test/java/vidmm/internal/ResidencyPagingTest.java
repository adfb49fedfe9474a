package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import gpu.hw.internal.SimulatedGpu;
import iommu.hw.internal.IommuUnit;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import os.memmgr.AddressSpace;
import os.memmgr.PageProtection;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import vidmm.Allocation;
import vidmm.FenceWait;
import vidmm.VidMmException;

/**
 * Residency that matters, with real parts and a pagefile: an evicted allocation can be trimmed to
 * the pagefile and MakeResident brings it back (WDDM 2: a submission pins nothing); over budget VidMm
 * evicts on its own and tells the device; memory no allocation covers is reached by page requests.
 */
class ResidencyPagingTest {
    /** Half of the smallest budget VidMm takes (a whole MiB). */
    static final int SIZE = 512 * 1024;
    static final int PAGES = SIZE / 4096;

    @TempDir
    Path dir;
    TestMachine machine;
    IommuUnit iommu;
    WindowsMemoryManager mm;
    SimulatedGpu gpu;
    VideoMemoryManager vidmm;

    void machine(long budget) {
        machine = TestMachine.builder().memory(64L << 20).pagefile(dir.resolve("pagefile.sys"), 64, 1)
                .sources(1, 64, 48).reference(TestMachine.IOMMU, 16L << 20).budget(budget).build();
        iommu = machine.iommu();
        mm = machine.os();
        gpu = machine.gpu();
        vidmm = machine.vidmm();
    }

    @AfterEach
    void off() throws InterruptedException {
        machine.close();
    }

    static byte[] bytes(long seed) {
        byte[] b = new byte[SIZE];
        new Random(seed).nextBytes(b);
        return b;
    }

    void copy(long device, long from, long to) {
        long fence = vidmm.submit(vidmm.context(device, EngineNode.COPY), List.of(new DmaCommand.Copy(from, to, SIZE)));
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(vidmm.context(device, EngineNode.COPY), fence, 5000));
    }

    long pagedOut(int pid) {
        return mm.processes().stream().filter(p -> p.pid() == pid).findFirst().orElseThrow().pagedOutPages();
    }

    /** The UMD's part under WDDM 2: MakeResident what a submission uses before it submits. */
    void resident(long device, Allocation... list) {
        vidmm.makeResident(device, java.util.Arrays.stream(list).map(Allocation::handle).toList());
    }

    @Test
    void anEvictedAllocationIsTrimmedAndMakeResidentBringsItBack() {
        machine(1L << 30);
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        Allocation a = vidmm.allocate(device, SIZE, Set.of());
        Allocation b = vidmm.allocate(device, SIZE, Set.of());
        Allocation c = vidmm.allocate(device, SIZE, Set.of());
        AddressSpace as = mm.addressSpace(pid);
        as.write(a.va(), bytes(1));
        resident(device, a, b, c);
        copy(device, a.va(), b.va());
        assertEquals(0, mm.trim(pid, 10_000), "resident allocations are pinned: nothing to trim");

        vidmm.evict(device, List.of(a.handle()));
        assertEquals(PAGES, mm.trim(pid, 10_000), "evicted, A's pages are the OS's to page out");
        assertEquals(PAGES, pagedOut(pid));
        resident(device, a);
        assertEquals(0, pagedOut(pid), "making A resident paged it back in");
        copy(device, a.va(), c.va());
        assertArrayEquals(bytes(1), as.read(c.va(), SIZE));
    }

    @Test
    void overBudgetTheUmdEvictsWhatItChoosesAndTheOsMayPageItOut() {
        machine(2L * SIZE);
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        Allocation a = vidmm.allocate(device, SIZE, Set.of());
        Allocation b = vidmm.allocate(device, SIZE, Set.of());
        Allocation c = vidmm.allocate(device, SIZE, Set.of());
        AddressSpace as = mm.addressSpace(pid);
        as.write(a.va(), bytes(2));
        resident(device, a, b);                // A and B resident: the budget is full
        copy(device, a.va(), b.va());
        as.write(c.va(), bytes(3));
        VidMmException full = assertThrows(VidMmException.class, () -> resident(device, c, b));
        assertTrue(full.getMessage().contains("NumBytesToTrim " + SIZE), full.getMessage()); // C needs room: nothing changed
        vidmm.evict(device, List.of(a.handle())); // the UMD's choice: A
        resident(device, c, b);
        copy(device, c.va(), b.va());
        assertTrue(vidmm.allocations().stream().filter(x -> x.handle() == a.handle()).noneMatch(x -> x.resident()));
        assertEquals(PAGES, mm.trim(pid, 10_000), "A, no longer pinned, is paged out");
        vidmm.evict(device, List.of(c.handle(), b.handle()));
        resident(device, a, b);                // A is made resident again, paged in by the pin
        copy(device, a.va(), b.va());
        assertArrayEquals(bytes(2), as.read(b.va(), SIZE));
    }

    @Test
    void memoryNoAllocationCoversIsReachedByPageRequests() {
        machine(1L << 30);
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        Allocation b = vidmm.allocate(device, SIZE, Set.of());
        AddressSpace as = mm.addressSpace(pid);
        long heap = as.allocate(SIZE, PageProtection.READWRITE);
        as.write(heap, bytes(4));
        assertEquals(PAGES, mm.trim(pid, 10_000));
        resident(device, b);
        long requests = iommu.stats().pageRequests();
        copy(device, heap, b.va());
        assertArrayEquals(bytes(4), as.read(b.va(), SIZE));
        assertEquals(requests + PAGES, iommu.stats().pageRequests(), "each paged-out page came back by a page request");
        assertEquals(0, pagedOut(pid));
    }

    /** WDDM 2: an allocation nobody made resident is not pinned by a submission; the GPU reaches it by page requests, intact. */
    @Test
    void anAllocationNotMadeResidentIsReachedByPageRequestsNeverCorrupted() {
        machine(1L << 30);
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        Allocation a = vidmm.allocate(device, SIZE, Set.of());
        Allocation b = vidmm.allocate(device, SIZE, Set.of());
        AddressSpace as = mm.addressSpace(pid);
        as.write(a.va(), bytes(5));
        assertEquals(PAGES, mm.trim(pid, 10_000), "A's written pages go to the pagefile");
        long requests = iommu.stats().pageRequests();
        copy(device, a.va(), b.va());
        assertArrayEquals(bytes(5), as.read(b.va(), SIZE));
        assertTrue(iommu.stats().pageRequests() >= requests + PAGES, "A came back by page requests");
        assertFalse(vidmm.allocations().stream().anyMatch(Allocation::resident), "the submission pinned nothing");
    }
}
