package gpu.hw.internal;

import iommu.hw.internal.IommuFixture;
import os.memmgr.internal.OsFixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import gpu.hw.DeviceTlbStats;
import gpu.hw.EngineType;
import gpu.hw.GpuCommand;
import gpu.hw.Interrupt;
import gpu.hw.PciIdentity;
import gpu.hw.Submission;
import iommu.hw.FaultKind;
import iommu.hw.internal.IommuUnit;
import iommu.hw.internal.LazySystemMemory;
import os.memmgr.AddressSpace;
import os.memmgr.PageProtection;
import os.memmgr.internal.WindowsMemoryManager;

/**
 * The GPU's device TLB (ATS): it caches what the IOMMU translated, a second copy of the same pages sends
 * no translation request, an unmap removes the cached translations (the OS's invalidation reaches the
 * device after the IOTLB's) before the OS reuses the frames, and a GPU that does not answer an
 * invalidation is refused every translated request until it resets.
 */
class DeviceTlbTest {
    static final int BYTES = 16 * 4096;

    final LazySystemMemory memory = IommuFixture.memory(128L << 20);
    final IommuUnit iommu = IommuFixture.unit(memory, 0, 1024, 64, 4);
    final WindowsMemoryManager mm = OsFixture.memoryManager(memory, iommu);
    final BlockingQueue<Interrupt> interrupts = new LinkedBlockingQueue<>();
    SimulatedGpu gpu;
    AddressSpace as;
    int pasid;

    void start(boolean ats) {
        gpu = new SimulatedGpu(0, List.of(iommu), memory, new PciIdentity(0x1234, 0x1111, 2), 4096, SimulatedGpu.modes(0, 1, 1), 2, ats);
        gpu.attach(interrupts::add);
        int pid = mm.spawn("app");
        as = mm.addressSpace(pid);
        pasid = mm.bindIommu(pid);
    }

    @AfterEach
    void off() throws InterruptedException {
        gpu.powerOff();
    }

    Interrupt copy(long from, long to) throws InterruptedException {
        gpu.submit(EngineType.COPY, new Submission(pasid, 7, List.of(new GpuCommand.Copy(from, to, BYTES)), 1));
        Interrupt i = interrupts.poll(10, TimeUnit.SECONDS);
        assertTrue(i != null, "no interrupt within 10 s");
        return i;
    }

    static byte[] pattern(int seed) {
        byte[] b = new byte[BYTES];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void theGpuCachesTranslationsAndAnUnmapDropsThemBeforeTheFramesAreReused() throws InterruptedException {
        start(true);
        long a = as.allocate(BYTES, PageProtection.READWRITE);
        long b = as.allocate(BYTES, PageProtection.READWRITE);
        as.write(a, pattern(1));
        assertInstanceOf(Interrupt.DmaCompleted.class, copy(a, b));
        assertArrayEquals(pattern(1), as.read(b, BYTES));
        DeviceTlbStats first = gpu.deviceTlb(0);
        assertEquals(32, first.entries(), "every page of both sides is cached");
        assertEquals(32, first.translationRequests());

        as.write(a, pattern(2));
        assertInstanceOf(Interrupt.DmaCompleted.class, copy(a, b));
        assertArrayEquals(pattern(2), as.read(b, BYTES));
        DeviceTlbStats second = gpu.deviceTlb(0);
        assertEquals(first.translationRequests(), second.translationRequests(), "the second copy translated in the GPU");
        assertTrue(second.hits() > first.hits());

        as.release(b); // the OS invalidates the IOTLB, then the device TLB, then frees the frames
        DeviceTlbStats after = gpu.deviceTlb(0);
        assertTrue(after.invalidations() > second.invalidations());
        assertEquals(16, after.entries(), "b's translations left the device TLB");
        as.reserve(b, BYTES); // b's addresses stay reserved, not committed: a write there must fault
        long c = as.allocate(BYTES, PageProtection.READWRITE); // may get b's frames
        as.write(c, pattern(3));
        Interrupt stale = copy(a, b);
        Interrupt.DmaPageFaulted f = assertInstanceOf(Interrupt.DmaPageFaulted.class, stale, "b is gone: the GPU may not write it");
        assertEquals(b, f.faultedVa());
        assertArrayEquals(pattern(3), as.read(c, BYTES), "nothing reached the frames b had");
    }

    @Test
    void aGpuThatDoesNotAnswerAnInvalidationIsRefusedUntilItResets() throws InterruptedException {
        start(true);
        long a = as.allocate(BYTES, PageProtection.READWRITE);
        long b = as.allocate(BYTES, PageProtection.READWRITE);
        as.write(a, pattern(4));
        assertInstanceOf(Interrupt.DmaCompleted.class, copy(a, b));
        gpu.deviceTlbUnresponsive(0, true);
        long t0 = System.nanoTime();
        as.release(b); // the unit waits a second for the GPU, then blocks it; the OS goes on
        assertTrue(System.nanoTime() - t0 >= 900_000_000L, "the unit waited for the device");
        assertEquals(1, IommuFixture.registers(iommu).queueStats().deviceTlbTimeouts());
        assertTrue(gpu.deviceTlb(0).blocked());
        as.reserve(b, BYTES);
        long c = as.allocate(BYTES, PageProtection.READWRITE);
        as.write(c, pattern(5));
        Interrupt.DmaPageFaulted f = assertInstanceOf(Interrupt.DmaPageFaulted.class, copy(a, b),
                "the stale translation of b is still cached, but the unit refuses the translated request");
        assertEquals(FaultKind.DEVICE_BLOCKED, f.kind());
        assertArrayEquals(pattern(5), as.read(c, BYTES));

        gpu.deviceTlbUnresponsive(0, false);
        gpu.resetEngine(EngineType.COPY); // empties the device TLB: the unit accepts its requests again
        assertFalse(gpu.deviceTlb(0).blocked());
        assertEquals(0, gpu.deviceTlb(0).entries());
        assertInstanceOf(Interrupt.DmaCompleted.class, copy(a, c));
        assertArrayEquals(pattern(4), as.read(c, BYTES));
    }

    @Test
    void aCopyOfPagesNotPresentAsksForThemInPageGroups() throws InterruptedException {
        start(true);
        long a = as.allocate(BYTES, PageProtection.READWRITE); // demand-zero: no page present yet
        long b = as.allocate(BYTES, PageProtection.READWRITE);
        var before = IommuFixture.registers(iommu).queueStats();
        assertInstanceOf(Interrupt.DmaCompleted.class, copy(a, b));
        assertArrayEquals(new byte[BYTES], as.read(b, BYTES));
        var after = IommuFixture.registers(iommu).queueStats();
        assertEquals(32, after.pageRequests() - before.pageRequests(), "every page of both sides, once");
        assertEquals(2, after.groupsSucceeded() - before.groupsSucceeded(), "in two groups of 16: one a side");
    }

    @Test
    void aCopyWhoseSidesShareDeviceTlbSlotsCompletes() throws InterruptedException {
        start(true);
        // 256 MiB apart: every page of b falls in the slot of the page of a at the same offset, so that
        // caching one side's translation evicts the other's (the oversubscribe scenario's heap and staging)
        long a = as.reserve(0x10_0000L, BYTES);
        long b = as.reserve(0x10_0000L + ((long) DeviceTlb.SLOTS << 12), BYTES);
        as.commit(a, BYTES, PageProtection.READWRITE);
        as.commit(b, BYTES, PageProtection.READWRITE);
        as.write(a, pattern(7));
        assertInstanceOf(Interrupt.DmaCompleted.class, copy(a, b), "the engine used each translation it asked for");
        assertArrayEquals(pattern(7), as.read(b, BYTES));
        assertTrue(gpu.deviceTlb(0).translationRequests() <= 4 * 16, "no request storm: "
                + gpu.deviceTlb(0).translationRequests() + " translation requests");
    }

    @Test
    void withoutAtsTheIommuTranslatesEveryRequest() throws InterruptedException {
        start(false);
        long a = as.allocate(BYTES, PageProtection.READWRITE);
        long b = as.allocate(BYTES, PageProtection.READWRITE);
        as.write(a, pattern(6));
        long translations = iommu.stats().translations();
        assertInstanceOf(Interrupt.DmaCompleted.class, copy(a, b));
        assertArrayEquals(pattern(6), as.read(b, BYTES));
        assertFalse(gpu.deviceTlb(0).enabled());
        assertTrue(iommu.stats().translations() > translations);
    }
}
