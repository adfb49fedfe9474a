package vidmm.internal;

import kmd.reference.internal.ReferenceFixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import kmd.api.DisplayDriver;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.VidMmCaps;
import kmd.reference.internal.ReferenceKmd;
import os.memmgr.FrameCounts;
import umd.api.AllocationCreateFlag;
import vidmm.AdapterStatus;
import vidmm.Allocation;
import vidmm.DriverBinding;
import vidmm.FenceWait;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/** Replacing the kernel-mode driver while a process runs and a primary is displayed: nothing is lost. */
class DriverSwapTest {
    static final VidMmCaps IOMMU = new VidMmCaps(true, true, false, false, false);

    Stack s = new Stack(64L << 20);
    FrameCounts start = s.mm.frames();
    int pid = s.mm.spawn("app");
    long device = s.vidmm.createDevice(pid);
    int pasid = s.mm.addressSpace(pid).pasids().getOrDefault(0, 0);
    Allocation primary = s.vidmm.allocate(device, 64 * 48 * 4, Set.of(AllocationCreateFlag.PRIMARY));
    Allocation buffer = s.vidmm.allocate(device, 8192, Set.of());

    @AfterEach
    void off() throws InterruptedException {
        s.stop();
    }

    void draw() {
        long fence = s.vidmm.submit(s.vidmm.context(device, EngineNode.RENDER), List.of(new DmaCommand.Fill(primary.va(), 64 * 48 * 4, 0xFF336699),
                new DmaCommand.FillRect(primary.va() + 10 * 256 + 40, 256, 80, 12, 0xFFFFCC00)));
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(s.vidmm.context(device, EngineNode.RENDER), fence, 5000));
        s.vidmm.present(device, primary.handle(), 0);
    }

    @Test
    void aBetterDriverTakesOverWithEveryProcessDeviceAllocationAndTheDisplay() {
        draw();
        int[] before = s.gpu.scanout(0).rgb();
        var allocations = s.vidmm.allocations();
        ReferenceKmd better = ReferenceFixture.kmd(s.gpu, IOMMU, 64L << 20);
        DisplayDriver betterService = s.machine.offer(better, 50, 5, "better");

        assertTrue(s.vidmm.drivers().stream().anyMatch(d -> d.name().equals("better") && d.attached()), s.vidmm.drivers().toString());
        assertTrue(better.processesForTest().contains(pid + ":" + pasid), "the new driver got the same PASID");
        assertTrue(s.kmd.processesForTest().isEmpty(), "the old driver was stopped and forgot everything");
        assertEquals(pasid, s.mm.addressSpace(pid).pasids().getOrDefault(0, 0));
        assertEquals(allocations, s.vidmm.allocations());
        assertArrayEquals(before, s.gpu.scanout(0).rgb(), "the same image after the swap");
        assertTrue(s.gpu.scanout(0).errors().isEmpty());

        long fence = s.vidmm.submit(s.vidmm.context(device, EngineNode.COPY), List.of(new DmaCommand.Copy(primary.va(), buffer.va(), 4)));
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(s.vidmm.context(device, EngineNode.COPY), fence, 5000), "work after the swap runs");
        assertArrayEquals(new byte[] {(byte) 0x99, 0x66, 0x33, (byte) 0xFF}, s.mm.addressSpace(pid).read(buffer.va(), 4));

        s.machine.withdraw(betterService);
        assertTrue(s.kmd.processesForTest().contains(pid + ":" + pasid), "back on the first driver, replayed");
        assertArrayEquals(before, s.gpu.scanout(0).rgb());
        s.mm.kill(pid);
        assertEquals(start, s.mm.frames());
    }

    @Test
    void aDriverWithCapsThisModelCannotServeIsRefusedAndTheOldOneStays() {
        draw();
        int[] before = s.gpu.scanout(0).rgb();
        ReferenceKmd gpummu = ReferenceFixture.kmd(s.gpu, new VidMmCaps(true, false, true, false, false), 64L << 20);
        s.machine.offer(gpummu, 60, 9, "gpummu");
        DriverBinding refused = s.vidmm.drivers().stream().filter(d -> d.name().equals("gpummu")).findFirst().orElseThrow();
        assertTrue(!refused.attached() && refused.refusal().contains("GpuMmu"), refused.toString());
        assertEquals(AdapterStatus.State.STARTED, s.vidmm.adapter().state());
        assertTrue(s.kmd.processesForTest().contains(pid + ":" + pasid));
        assertArrayEquals(before, s.gpu.scanout(0).rgb());
        long fence = s.vidmm.submit(s.vidmm.context(device, EngineNode.RENDER), List.of(new DmaCommand.Fill(buffer.va(), 4, 7)));
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(s.vidmm.context(device, EngineNode.RENDER), fence, 5000));
    }

    @Test
    void aStoppedVidMmAttachesNothingWhenItsDriversAreUnbound() throws InterruptedException {
        ReferenceKmd other = ReferenceFixture.kmd(s.gpu, IOMMU, 64L << 20);
        s.machine.offer(other, 90, 1, "other");
        s.vidmm.stop();
        s.machine.withdraw(s.machine.driver()); // SCR unbinds after deactivation
        assertTrue(other.processesForTest().isEmpty());
        assertTrue(s.vidmm.drivers().stream().noneMatch(DriverBinding::attached), s.vidmm.drivers().toString());
    }

    @Test
    void aDriverThatThrowsDuringReplayIsRefusedAndTheOldOneKeepsEverything() {
        draw();
        int[] before = s.gpu.scanout(0).rgb();
        KernelModeDriver broken = org.mockito.Mockito.mock(KernelModeDriver.class);
        org.mockito.Mockito.when(broken.queryAdapterInfo()).thenReturn(s.kmd.queryAdapterInfo());
        org.mockito.Mockito.when(broken.createProcess(org.mockito.ArgumentMatchers.anyInt(), org.mockito.ArgumentMatchers.any()))
                .thenReturn(77L);
        org.mockito.Mockito.when(broken.createDevice(org.mockito.ArgumentMatchers.anyLong(), org.mockito.ArgumentMatchers.anyInt()))
                .thenThrow(new IllegalStateException("firmware crashed"));
        s.machine.offer(broken, 80, 9, "broken");

        DriverBinding refused = s.vidmm.drivers().stream().filter(d -> d.name().equals("broken")).findFirst().orElseThrow();
        assertTrue(refused.refusal().contains("replaying VidMm's state failed: firmware crashed"), refused.toString());
        org.mockito.Mockito.verify(broken).stopDevice();
        assertEquals("ReferenceKmd", s.vidmm.drivers().stream().filter(DriverBinding::attached).findFirst().orElseThrow().name(),
                "the first driver (registered without properties: named by its class) is attached again");
        assertTrue(s.kmd.processesForTest().contains(pid + ":" + pasid), "the old driver is back with everything");
        assertArrayEquals(before, s.gpu.scanout(0).rgb());
        long fence = s.vidmm.submit(s.vidmm.context(device, EngineNode.RENDER), List.of(new DmaCommand.Fill(buffer.va(), 4, 9)));
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(s.vidmm.context(device, EngineNode.RENDER), fence, 5000));
    }

    @Test
    void withNoDriverTheAdapterStopsProcessesKeepTheirMemoryAndWorkResumesWhenOneArrives() {
        s.mm.addressSpace(pid).write(buffer.va(), new byte[] {1, 2, 3});
        s.machine.withdraw(s.machine.driver());
        assertEquals(AdapterStatus.State.STOPPED, s.vidmm.adapter().state());
        VidMmException e = assertThrows(VidMmException.class,
                () -> s.vidmm.submit(s.vidmm.context(device, EngineNode.RENDER), List.of(new DmaCommand.Fill(buffer.va(), 4, 7))));
        assertEquals(VidMmStatus.ADAPTER_NOT_STARTED, e.status());
        assertTrue(e.getMessage().contains("no kernel-mode driver"), e.getMessage());
        assertArrayEquals(new byte[] {1, 2, 3}, s.mm.addressSpace(pid).read(buffer.va(), 3));
        assertEquals(2, s.vidmm.allocations().size());
        assertEquals(pasid, s.mm.addressSpace(pid).pasids().getOrDefault(0, 0), "the PASID stays registered");

        ReferenceKmd arriving = ReferenceFixture.kmd(s.gpu, IOMMU, 64L << 20);
        s.machine.offer(arriving, 70, 1, "arriving");
        assertEquals(AdapterStatus.State.STARTED, s.vidmm.adapter().state());
        long fence = s.vidmm.submit(s.vidmm.context(device, EngineNode.RENDER), List.of(new DmaCommand.Fill(buffer.va(), 4, 0x04040404)));
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(s.vidmm.context(device, EngineNode.RENDER), fence, 5000));
        assertEquals(4, s.mm.addressSpace(pid).read(buffer.va(), 1)[0]);
        s.mm.kill(pid);
        assertEquals(start, s.mm.frames());
    }
}
