package vidmm.internal;

import kmd.reference.internal.ReferenceFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.spy;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import gpu.hw.internal.SimulatedGpu;
import iommu.hw.internal.IommuUnit;
import kmd.api.AdapterInfo;
import kmd.api.AllocationDescription;
import kmd.api.DmaCommand;
import kmd.api.DriverCaps;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.VidMmCaps;
import kmd.reference.internal.ReferenceKmd;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import vidmm.Allocation;
import vidmm.DriverBinding;
import vidmm.FenceWait;
import vidmm.GpuFault;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/** TdrDdiDelay: a driver that never returns from a DDI is given up, and the next best takes over with a replay. */
class HungDdiTest {
    static final long DDI_DELAY = 300;
    static final VidMmCaps IOMMU = new VidMmCaps(true, true, false, false, false);

    final TestMachine machine = TestMachine.builder().memory(64L << 20).iommu(1024, 64).aperturePages(1024)
            .sources(1, 64, 48).reference(IOMMU, 16L << 20).tdr(2000, DDI_DELAY).build();
    final IommuUnit iommu = machine.iommu();
    final WindowsMemoryManager mm = machine.os();
    final SimulatedGpu gpu = machine.gpu();
    final VideoMemoryManager vidmm = machine.vidmm();
    /** Released when the test ends, so the hung DDI thread ends too. */
    final CountDownLatch forever = new CountDownLatch(1);
    final AtomicLong handles = new AtomicLong(0x7000);

    @AfterEach
    void stop() throws InterruptedException {
        forever.countDown();
        machine.close();
    }

    /** A driver that hangs in CreateAllocation from the {@code hangFrom}-th call on. */
    KernelModeDriver hangingIn(int hangFrom) {
        KernelModeDriver kmd = mock(KernelModeDriver.class);
        when(kmd.queryAdapterInfo()).thenReturn(new AdapterInfo("hanging", IOMMU, new DriverCaps(1 << 20), List.of()));
        when(kmd.createProcess(anyInt(), any())).thenAnswer(i -> handles.incrementAndGet());
        when(kmd.createDevice(anyLong(), anyInt())).thenAnswer(i -> handles.incrementAndGet());
        when(kmd.createContext(anyLong(), anyInt(), anyInt())).thenAnswer(i -> handles.incrementAndGet());
        AtomicLong calls = new AtomicLong();
        when(kmd.createAllocation(anyLong(), any())).thenAnswer(i -> {
            if (calls.incrementAndGet() >= hangFrom) {
                forever.await();
            }
            return new AllocationDescription(4096, 4096, 1, Set.of());
        });
        return kmd;
    }

    @Test
    void aHungDdiIsGivenUpWithinTdrDdiDelayAndTheNextBestDriverTakesOverWithAReplay() throws Exception {
        KernelModeDriver hanging = hangingIn(2);
        machine.offer(hanging, 9L, 5, "hanging");
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        Allocation first = vidmm.allocate(device, 4096, Set.of());

        CompletableFuture<Object> hung = CompletableFuture.supplyAsync(() -> vidmm.allocate(device, 4096, Set.of()));
        Thread.sleep(DDI_DELAY / 3);
        long asked = System.nanoTime();
        assertEquals(1, vidmm.allocations().size(), "VidMm answers while a DDI hangs");
        assertTrue(System.nanoTime() - asked < TimeUnit.MILLISECONDS.toNanos(DDI_DELAY * 3));
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> hung.get(DDI_DELAY * 10, TimeUnit.MILLISECONDS), "the caller stopped waiting within TdrDdiDelay");
        VidMmException cause = (VidMmException) e.getCause();
        assertEquals(VidMmStatus.DRIVER_HUNG, cause.status());
        assertTrue(cause.getMessage().contains("DxgkDdiCreateAllocation"), cause.getMessage());

        vidmm.awaitRecovery();
        DriverBinding given = vidmm.drivers().stream().filter(d -> d.name().equals("hanging")).findFirst().orElseThrow();
        assertTrue(given.refusal().startsWith("hung in DxgkDdiCreateAllocation"), given.refusal());
        assertEquals("ReferenceKmd", vidmm.drivers().stream().filter(DriverBinding::attached).findFirst().orElseThrow().name());
        GpuFault timeout = vidmm.faults().get(vidmm.faults().size() - 1);
        assertTrue(timeout.reason().startsWith("TIMEOUT: hanging did not return from DxgkDdiCreateAllocation"),
                timeout.reason());
        assertEquals(List.of(first.handle()), vidmm.allocations().stream().map(Allocation::handle).toList(),
                "the refused call left nothing behind");

        // the replayed device works on the reference driver
        long fence = vidmm.submit(vidmm.context(device, EngineNode.COPY), List.of(new DmaCommand.Fill(first.va(), 4096, 0x01020304)));
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(vidmm.context(device, EngineNode.COPY), fence, 5000));
        assertEquals(0x04, mm.addressSpace(pid).read(first.va(), 1)[0]);
        mm.kill(pid);
        assertTrue(iommu.boundPasids().isEmpty());
    }

    @Test
    void aDriverThatHangsWhileStartingIsRefusedAndTheAdapterKeepsItsDriver() throws Exception {
        KernelModeDriver hanging = mock(KernelModeDriver.class);
        when(hanging.queryAdapterInfo()).thenAnswer(i -> {
            forever.await();
            return null;
        });
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        long started = System.nanoTime();
        machine.offer(hanging, 9L, 5, "hanging");
        assertTrue(System.nanoTime() - started < TimeUnit.MILLISECONDS.toNanos(DDI_DELAY * 10), "the attach gave up in time");
        vidmm.awaitRecovery();
        DriverBinding given = vidmm.drivers().stream().filter(d -> d.name().equals("hanging")).findFirst().orElseThrow();
        assertTrue(given.refusal().contains("DRIVER_HUNG"), given.refusal());
        assertEquals("ReferenceKmd", vidmm.drivers().stream().filter(DriverBinding::attached).findFirst().orElseThrow().name());
        Allocation a = vidmm.allocate(device, 4096, Set.of());
        long fence = vidmm.submit(vidmm.context(device, EngineNode.RENDER), List.of(new DmaCommand.Fill(a.va(), 4096, 7)));
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(vidmm.context(device, EngineNode.RENDER), fence, 5000));
        mm.kill(pid);
    }

    @Test
    void anAdapterWhoseOnlyDriverWasGivenUpNamesNoDriverAndComesBackWhenItsDriversAreRetried() throws Exception {
        TestMachine bare = TestMachine.builder().memory(64L << 20).iommu(1024, 64).aperturePages(1024).sources(1, 64, 48)
                .noDriver().tdr(2000, DDI_DELAY).build();
        try {
            java.util.concurrent.atomic.AtomicBoolean hang = new java.util.concurrent.atomic.AtomicBoolean();
            ReferenceKmd flaky = spy(ReferenceFixture.kmd(bare.gpu(), IOMMU, 16L << 20)); // a real driver: it programs the GPU
            doAnswer(i -> {
                if (hang.get()) {
                    forever.await();
                }
                return i.callRealMethod();
            }).when(flaky).createAllocation(anyLong(), any());
            bare.offer(flaky, 9L, 2, "flaky");
            VideoMemoryManager v = bare.vidmm();
            assertEquals("reference", bare.gpu().attachedDriver(), "the GPU names the driver that started it");
            int pid = bare.os().spawn("app");
            long device = v.createDevice(pid);
            Allocation kept = v.allocate(device, 4096, Set.of());

            hang.set(true);
            VidMmException hungCall = assertThrows(VidMmException.class, () -> v.allocate(device, 4096, Set.of()));
            assertEquals(VidMmStatus.DRIVER_HUNG, hungCall.status());
            v.awaitRecovery();
            assertTrue(v.drivers().stream().noneMatch(DriverBinding::attached), "no other driver: " + v.drivers());
            assertEquals(null, bare.gpu().attachedDriver(), "the adapter no longer names the driver VidMm gave up");

            hang.set(false); // say the vendor fixed what made it hang
            assertEquals(1, v.retryDrivers(0), "one driver given another chance");
            assertEquals("flaky", v.drivers().stream().filter(DriverBinding::attached).findFirst().orElseThrow().name());
            assertEquals("reference", bare.gpu().attachedDriver());
            long context = v.context(device, EngineNode.COPY);
            long fence = v.submit(context, List.of(new DmaCommand.Fill(kept.va(), 4096, 0x01020304)));
            assertEquals(FenceWait.COMPLETED, v.waitForFence(context, fence, 5000), "the replayed device works again");
            assertEquals(0x04, bare.os().addressSpace(pid).read(kept.va(), 1)[0]);
            assertEquals(0, v.retryDrivers(0), "nothing left to retry");
            assertThrows(VidMmException.class, () -> v.retryDrivers(7), "no adapter 7");
            bare.os().kill(pid);
        } finally {
            forever.countDown();
            bare.close();
        }
    }
}
