package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import iommu.hw.internal.IommuUnit;
import kmd.api.AdapterInfo;
import kmd.api.AllocationDescription;
import kmd.api.AllocationFlag;
import kmd.api.DmaCommand;
import kmd.api.DriverCaps;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.VidMmCaps;
import kmd.api.callbacks.FaultErrorCode;
import kmd.api.callbacks.PageFaultFlags;
import os.memmgr.FrameCounts;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import umd.api.AllocationCreateFlag;
import vidmm.AdapterStatus;
import vidmm.DeviceInfo;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/** VidMm's bookkeeping against a mocked driver and the real OS memory manager. */
class VideoMemoryManagerTest {
    KernelModeDriver kmd = mock(KernelModeDriver.class);
    TestMachine machine;
    IommuUnit iommu;
    WindowsMemoryManager mm;
    AtomicLong kmdHandles = new AtomicLong(0x9000);
    VideoMemoryManager vidmm;

    static AdapterInfo info(VidMmCaps caps) {
        return new AdapterInfo("mock", caps, new DriverCaps(1 << 20), List.of());
    }

    @BeforeEach
    void setUp() {
        when(kmd.queryAdapterInfo()).thenReturn(info(new VidMmCaps(true, true, false, false, false)));
        when(kmd.createProcess(anyInt(), any())).thenAnswer(i -> kmdHandles.incrementAndGet());
        when(kmd.createDevice(anyLong(), anyInt())).thenAnswer(i -> kmdHandles.incrementAndGet());
        when(kmd.createContext(anyLong(), anyInt(), anyInt())).thenAnswer(i -> kmdHandles.incrementAndGet());
        when(kmd.createAllocation(anyLong(), any())).thenAnswer(i -> {
            kmd.api.AllocationRequest r = i.getArgument(1);
            return new AllocationDescription((r.size() + 4095) & ~4095L, 4096, 1, Set.of(AllocationFlag.CPU_VISIBLE));
        });
        machine = machine(kmd);
        iommu = machine.iommu();
        mm = machine.os();
        vidmm = machine.vidmm();
    }

    static TestMachine machine(KernelModeDriver driver) {
        return TestMachine.builder().memory(128L << 20).iommu(1024, 64).driver(gpu -> driver, "mock").budget(1L << 20)
                .build();
    }

    @AfterEach
    void off() throws InterruptedException {
        machine.close();
    }

    @Test
    void firstDeviceRegistersTheProcessAndHandsItsPasidToTheDriver() {
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        int pasid = mm.addressSpace(pid).pasids().getOrDefault(0, 0);
        assertTrue(pasid > 0, "the address space is bound to a PASID");
        assertEquals(mm.addressSpace(pid).pageTableRoot(), iommu.boundPasids().get(pasid));
        verify(kmd).createProcess(pid, new int[] {pasid});
        verify(kmd).createDevice(0x9001, pasid);
        assertEquals(pasid, vidmm.device(device).pasid());

        long second = vidmm.createDevice(pid);
        verify(kmd).createProcess(anyInt(), any());
        vidmm.destroyDevice(device);
        verify(kmd, never()).destroyProcess(anyLong());
        assertEquals(pasid, mm.addressSpace(pid).pasids().getOrDefault(0, 0), "still registered while a device lives");
        vidmm.destroyDevice(second);
        verify(kmd).destroyProcess(0x9001);
        assertEquals(0, mm.addressSpace(pid).pasids().getOrDefault(0, 0), "last device gone: unregistered");
        assertTrue(iommu.boundPasids().isEmpty());
    }

    @Test
    void twoProcessesGetDifferentPasids() {
        long a = vidmm.createDevice(mm.spawn("a"));
        long b = vidmm.createDevice(mm.spawn("b"));
        assertNotEquals(vidmm.device(a).pasid(), vidmm.device(b).pasid());
        assertEquals(2, vidmm.processes().size());
    }

    @Test
    void aDriverRefusingCreateDeviceLeavesNothingRegistered() {
        int pid = mm.spawn("app");
        when(kmd.createDevice(anyLong(), anyInt())).thenThrow(new IllegalStateException("out of contexts"));
        VidMmException e = assertThrows(VidMmException.class, () -> vidmm.createDevice(pid));
        assertEquals(VidMmStatus.DRIVER_REFUSED, e.status());
        assertTrue(e.getMessage().contains("DxgkDdiCreateDevice failed: out of contexts"), e.getMessage());
        verify(kmd).destroyProcess(anyLong());
        assertEquals(0, mm.addressSpace(pid).pasids().getOrDefault(0, 0));
        assertTrue(vidmm.processes().isEmpty());
    }

    @Test
    void invalidCapsRefuseTheAdapterWithAReasonAndNothingStarts() throws Exception {
        KernelModeDriver gpummu = mock(KernelModeDriver.class);
        when(gpummu.queryAdapterInfo()).thenReturn(info(new VidMmCaps(true, false, true, false, false)));
        try (TestMachine other = machine(gpummu)) {
            VideoMemoryManager refused = other.vidmm();
            assertEquals(AdapterStatus.State.REFUSED, refused.adapter().state());
            assertTrue(refused.adapter().reason().contains("GpuMmu"), refused.adapter().reason());
            verify(gpummu, never()).startDevice(any());
            int pid = other.os().spawn("app");
            assertEquals(VidMmStatus.ADAPTER_NOT_STARTED,
                    assertThrows(VidMmException.class, () -> refused.createDevice(pid)).status());
            assertEquals(0, other.os().addressSpace(pid).pasids().getOrDefault(0, 0));
        }

        KernelModeDriver throwing = mock(KernelModeDriver.class);
        when(throwing.queryAdapterInfo()).thenThrow(new RuntimeException("bad firmware"));
        try (TestMachine other = machine(throwing)) {
            assertTrue(other.vidmm().adapter().reason().contains("bad firmware"), other.vidmm().adapter().reason());
        }
    }

    @Test
    void allocateBacksTheDriversDescriptionWithCommittedMemory() {
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        when(kmd.openAllocation(anyLong(), anyLong(), org.mockito.ArgumentMatchers.anyBoolean())).thenReturn(0xD5A0L);
        var a = vidmm.allocate(device, 5000, Set.of());
        assertEquals(8192, a.size());
        mm.addressSpace(pid).write(a.va() + 8191, new byte[] {1});
        verify(kmd).createAllocation(0x9002L, new kmd.api.AllocationRequest(5000, false));
        verify(kmd).openAllocation(0x9002L, a.handle(), true);
        vidmm.destroyAllocation(device, a.handle());
        verify(kmd).closeAllocation(0x9002L, 0xD5A0L); // the open's hDeviceSpecificAllocation, not VidMm's handle
        verify(kmd).destroyAllocation(a.handle());
        assertThrows(os.memmgr.MemoryException.class, () -> mm.addressSpace(pid).read(a.va(), 1), "VA released");
    }

    @Test
    void aDescriptionThatBreaksTheRulesIsRefusedAndNothingIsCommitted() {
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        var frames = mm.frames();
        doReturn(new AllocationDescription(100, 4096, 1, Set.of())).when(kmd).createAllocation(anyLong(), any());
        VidMmException e = assertThrows(VidMmException.class, () -> vidmm.allocate(device, 4096, Set.of()));
        assertTrue(e.getMessage().contains("less than the requested"), e.getMessage());
        doReturn(new AllocationDescription(4096, 3000, 1, Set.of())).when(kmd).createAllocation(anyLong(), any());
        assertTrue(assertThrows(VidMmException.class, () -> vidmm.allocate(device, 4096, Set.of())).getMessage()
                .contains("alignment 3000"));
        doReturn(new AllocationDescription(5000, 4096, 1, Set.of())).when(kmd).createAllocation(anyLong(), any());
        assertEquals(8192, vidmm.allocate(device, 4096, Set.of()).size(), "an odd described size is rounded up to pages");
        frames = mm.frames();
        doReturn(new AllocationDescription(4096, 4096, 1, Set.of())).when(kmd).createAllocation(anyLong(), any());
        doThrow(new IllegalStateException("no room")).when(kmd).openAllocation(anyLong(), anyLong(), org.mockito.ArgumentMatchers.anyBoolean());
        assertTrue(assertThrows(VidMmException.class, () -> vidmm.allocate(device, 4096, Set.of(AllocationCreateFlag.CREATE_SHARED)))
                .getMessage().contains("no room"), "a refused OpenAllocation of a shared allocation: its section goes too");
        assertEquals(frames, mm.frames());
        assertEquals(1, vidmm.allocations().size(), "only the accepted allocation exists");
        assertEquals(VidMmStatus.INVALID_PARAMETER,
                assertThrows(VidMmException.class, () -> vidmm.allocate(device, 0, Set.of())).status());
        assertEquals(VidMmStatus.INVALID_HANDLE,
                assertThrows(VidMmException.class, () -> vidmm.allocate(12345, 4096, Set.of())).status());
    }

    @Test
    void residencyIsReferenceCounted() {
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        var small = vidmm.allocate(device, 512 * 1024, Set.of());
        long f1 = vidmm.makeResident(device, List.of(small.handle()));
        long f2 = vidmm.makeResident(device, List.of(small.handle()));
        assertTrue(f2 > f1, "each request gets its own paging fence");
        assertEquals(128, mm.frames().pinned());
        vidmm.evict(device, List.of(small.handle()));
        assertEquals(128, mm.frames().pinned(), "one reference left");
        vidmm.evict(device, List.of(small.handle()));
        assertEquals(0, mm.frames().pinned());
        assertEquals(VidMmStatus.INVALID_PARAMETER,
                assertThrows(VidMmException.class, () -> vidmm.evict(device, List.of(small.handle()))).status());
    }

    /**
     * WDDM 2's paging queue: MakeResident through it advances its paging fence, a monitored fence of
     * the process whose value is in memory; over the budget it is refused with NumBytesToTrim unless
     * CantTrimFurther, which goes over (and Evict then reports the excess); MustSucceed needs
     * CantTrimFurther; the queue goes with its device.
     */
    @Test
    void makeResidentThroughAPagingQueueAdvancesItsFenceAndHonoursTheFlags() {
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        var queue = vidmm.createPagingQueue(device);
        var a = vidmm.allocate(device, 768 * 1024, Set.of());
        var b = vidmm.allocate(device, 512 * 1024, Set.of());

        var first = vidmm.makeResident(queue.handle(), List.of(a.handle()), false, false);
        assertEquals(new vidmm.MakeResidentResult(1, 0), first);
        assertEquals(1, fenceValue(queue.syncObject()), "the paging fence reached PagingFenceValue in memory");
        assertEquals(queue.fenceVa(), vidmm.syncObjects().stream().filter(x -> x.handle() == queue.syncObject())
                .findFirst().orElseThrow().va());

        var refused = vidmm.makeResident(queue.handle(), List.of(b.handle()), false, false);
        assertEquals(new vidmm.MakeResidentResult(0, 256 * 1024), refused, "NumBytesToTrim, nothing made resident");
        assertEquals(768 * 1024, vidmm.videoMemoryInfo(pid).currentUsage());
        assertEquals(1, fenceValue(queue.syncObject()));
        assertEquals(VidMmStatus.INVALID_PARAMETER, assertThrows(VidMmException.class,
                () -> vidmm.makeResident(queue.handle(), List.of(b.handle()), false, true)).status(), "MustSucceed alone");

        assertEquals(new vidmm.MakeResidentResult(2, 0),
                vidmm.makeResident(queue.handle(), List.of(b.handle()), true, false), "CantTrimFurther goes over the budget");
        assertEquals(1280 * 1024, vidmm.videoMemoryInfo(pid).currentUsage());
        assertEquals(256 * 1024, vidmm.evict(device, List.of()), "Evict reports how far over the budget the process is");
        assertEquals(0, vidmm.evict(device, List.of(b.handle())));

        vidmm.destroyDevice(device);
        assertEquals(VidMmStatus.INVALID_HANDLE, assertThrows(VidMmException.class,
                () -> vidmm.pagingQueue(queue.handle())).status(), "the queue went with its device");
        assertTrue(vidmm.syncObjects().stream().noneMatch(x -> x.handle() == queue.syncObject()), "and its paging fence");
    }

    private long fenceValue(long sync) {
        return vidmm.syncObjects().stream().filter(x -> x.handle() == sync).findFirst().orElseThrow().value();
    }

    /**
     * Budget 1 MiB: a MakeResident over it is refused with NumBytesToTrim and changes nothing (WDDM 2:
     * the UMD chooses what to evict); once the device evicted that much, the same call succeeds.
     */
    @Test
    void overBudgetMakeResidentIsRefusedWithNumBytesToTrimAndChangesNothing() {
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        var a = vidmm.allocate(device, 384 * 1024, Set.of());
        var b = vidmm.allocate(device, 384 * 1024, Set.of());
        var big = vidmm.allocate(device, 512 * 1024, Set.of());
        vidmm.makeResident(device, List.of(a.handle()));
        vidmm.makeResident(device, List.of(b.handle()));
        assertEquals(768 * 1024, vidmm.videoMemoryInfo(pid).currentUsage());
        long pinned = mm.frames().pinned();

        VidMmException e = assertThrows(VidMmException.class, () -> vidmm.makeResident(device, List.of(big.handle())));
        assertEquals(VidMmStatus.NO_VIDEO_MEMORY, e.status());
        assertTrue(e.getMessage().contains("NumBytesToTrim " + 256 * 1024), e.getMessage());
        assertEquals(pinned, mm.frames().pinned(), "a refused request pinned and evicted nothing");
        assertEquals(768 * 1024, vidmm.videoMemoryInfo(pid).currentUsage());
        assertTrue(vidmm.allocations().stream().filter(x -> x.handle() == a.handle() || x.handle() == b.handle())
                .allMatch(x -> x.resident()));

        assertEquals(0, vidmm.evict(device, List.of(b.handle())), "NumBytesToTrim: within the budget"); // the UMD's choice
        vidmm.makeResident(device, List.of(big.handle()));
        var info = vidmm.queryVideoMemoryInfo(device);
        assertEquals(896 * 1024, info.currentUsage());
        assertEquals(1024 * 1024 - 896 * 1024, info.availableForReservation());
        assertEquals(224, mm.frames().pinned(), "a and big are pinned; b is pageable again");
        assertEquals(VidMmStatus.INVALID_PARAMETER,
                assertThrows(VidMmException.class, () -> vidmm.videoMemoryInfo(9999)).status());
    }

    /** WDDM 2: a submission pins nothing (residency is MakeResident's alone); a refused one changes nothing. */
    @Test
    void aSubmissionPinsNothingAndARefusedSubmitChangesNothing() {
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        var a = vidmm.allocate(device, 4096, Set.of());
        List<DmaCommand> cmds = List.of(new DmaCommand.Fill(a.va(), 16, 7));
        long context = vidmm.context(device, EngineNode.RENDER);
        verify(kmd).createContext(0x9002, EngineNode.RENDER.nodeOrdinal(), 1);
        long pinned = mm.frames().pinned();
        long fence = vidmm.submit(context, cmds);
        verify(kmd).submitCommand(0x9003, cmds, fence);
        assertFalse(vidmm.allocations().get(0).resident(), "no implicit residency");
        assertEquals(pinned, mm.frames().pinned(), "the submission pinned nothing");

        doThrow(new IllegalArgumentException("bad command")).when(kmd).submitCommand(anyLong(), any(), anyLong());
        assertEquals(VidMmStatus.DRIVER_REFUSED,
                assertThrows(VidMmException.class, () -> vidmm.submit(vidmm.context(device, EngineNode.RENDER), cmds)).status());
        assertEquals(fence, vidmm.contextInfo(context).submittedFence(), "fence withdrawn");
        assertEquals(VidMmStatus.INVALID_PARAMETER,
                assertThrows(VidMmException.class, () -> vidmm.submit(vidmm.context(device, EngineNode.RENDER), List.of())).status());
    }

    @Test
    void aFailedEngineResetEscalatesToAnAdapterResetUnderExclusiveAccess() throws Exception {
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        vidmm.context(device, EngineNode.RENDER); // driver handle 0x9003
        doThrow(new IllegalStateException("engine hung")).when(kmd).resetEngine(EngineNode.RENDER);
        org.mockito.ArgumentCaptor<kmd.api.callbacks.DxgkCallbacks> cb =
                org.mockito.ArgumentCaptor.forClass(kmd.api.callbacks.DxgkCallbacks.class);
        verify(kmd).startDevice(cb.capture());
        cb.getValue().notifyInterrupt(new kmd.api.callbacks.InterruptNotification.DmaPageFaulted(EngineNode.RENDER, 0,
                0x9003, 1, 0x10000, PageFaultFlags.WRITE | PageFaultFlags.IOMMU
                        | PageFaultFlags.ENGINE_RESET_REQUIRED, FaultErrorCode.PAGE_FAULT, 0,
                vidmm.device(device).pasid(), "WRITE_PROTECTED"));
        vidmm.awaitRecovery();
        assertTrue(vidmm.faults().get(0).outcome().startsWith("adapter reset (engine reset failed: engine hung"),
                vidmm.faults().get(0).outcome());
        org.mockito.InOrder order = org.mockito.Mockito.inOrder(kmd);
        int pasid = vidmm.device(device).pasid();
        order.verify(kmd).beginExclusiveAccess();
        order.verify(kmd).stopDevice();
        order.verify(kmd).startDevice(any());
        order.verify(kmd).createProcess(pid, new int[] {pasid}); // the restarted driver is told everything again
        order.verify(kmd).createDevice(anyLong(), org.mockito.ArgumentMatchers.eq(pasid));
        order.verify(kmd).createContext(anyLong(), org.mockito.ArgumentMatchers.eq(EngineNode.RENDER.nodeOrdinal()),
                org.mockito.ArgumentMatchers.eq(1));
        assertEquals(DeviceInfo.Status.ERROR, vidmm.device(device).status());
        assertEquals(AdapterStatus.State.STARTED, vidmm.adapter().state());
    }

    /** A DXGK_INTERRUPT_DMA_PAGE_FAULTED from the mocked driver, on context 0x9003, with {@code flags}. */
    private void fault(long device, long fence, int flags) {
        org.mockito.ArgumentCaptor<kmd.api.callbacks.DxgkCallbacks> cb =
                org.mockito.ArgumentCaptor.forClass(kmd.api.callbacks.DxgkCallbacks.class);
        verify(kmd).startDevice(cb.capture());
        cb.getValue().notifyInterrupt(new kmd.api.callbacks.InterruptNotification.DmaPageFaulted(EngineNode.RENDER, 0,
                0x9003, fence, 0x10000, flags, FaultErrorCode.PAGE_FAULT, 0x9001,
                vidmm.device(device).pasid(), "NOT_PRESENT"));
    }

    /** Windows' policy: the reset bits of PageFaultFlags decide; with none, nothing is reset and the device is in error. */
    @Test
    void aFaultWhoseFlagsAskForNoResetResetsNothingAndPutsTheDeviceInError() throws Exception {
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        long context = vidmm.context(device, EngineNode.RENDER); // driver handle 0x9003
        fault(device, 0, PageFaultFlags.IOMMU | PageFaultFlags.HW_CONTEXT_VALID);
        vidmm.awaitRecovery();
        org.mockito.Mockito.verify(kmd, org.mockito.Mockito.never()).resetEngine(any());
        org.mockito.Mockito.verify(kmd, org.mockito.Mockito.never()).stopDevice();
        assertTrue(vidmm.faults().get(0).outcome().startsWith("no reset"), vidmm.faults().get(0).outcome());
        assertEquals(DeviceInfo.Status.ERROR, vidmm.device(device).status());
        assertTrue(vidmm.faults().get(0).interrupt().contains("PageFaultFlags 0x60 (IOMMU|HW_CONTEXT_VALID)"),
                vidmm.faults().get(0).interrupt());
        assertEquals(0, vidmm.contextInfo(context).completedFence());
    }

    @Test
    void aFaultAskingForAnAdapterResetResetsTheAdapterWithoutTryingTheEngine() throws Exception {
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        vidmm.context(device, EngineNode.RENDER);
        fault(device, 1, PageFaultFlags.IOMMU | PageFaultFlags.ADAPTER_RESET_REQUIRED);
        vidmm.awaitRecovery();
        assertTrue(vidmm.faults().get(0).outcome().startsWith("adapter reset (ADAPTER_RESET_REQUIRED)"),
                vidmm.faults().get(0).outcome());
        org.mockito.InOrder order = org.mockito.Mockito.inOrder(kmd);
        order.verify(kmd).beginExclusiveAccess();
        order.verify(kmd).stopDevice(); // no engine reset tried first: every engine is reset once stopped
        order.verify(kmd).startDevice(any());
        assertEquals(AdapterStatus.State.STARTED, vidmm.adapter().state());
    }

    /** A device's render context with {@code count} fills submitted, none completed (the mocked driver runs nothing). */
    private record Submitted(long device, long context, long last) {
    }

    private Submitted submitted(int count) {
        long device = vidmm.createDevice(mm.spawn("app"));
        var a = vidmm.allocate(device, 4096, Set.of());
        long context = vidmm.context(device, EngineNode.RENDER);
        long last = 0;
        for (int i = 0; i < count; i++) {
            last = vidmm.submit(context, List.of(new DmaCommand.Fill(a.va(), 16, 7)));
        }
        return new Submitted(device, context, last);
    }

    /** FENCE_INVALID clear: the submission with FaultedFenceId faulted, so the context's earlier ones are complete. */
    @Test
    void theSubmissionsBeforeTheFaultedFenceIdAreCompleteUnlessTheFenceIsInvalid() throws Exception {
        Submitted s = submitted(3);
        long third = s.last();
        fault(s.device(), third, PageFaultFlags.IOMMU | PageFaultFlags.ENGINE_RESET_REQUIRED
                | PageFaultFlags.HW_CONTEXT_VALID);
        vidmm.awaitRecovery();
        assertEquals(third - 1, vidmm.contextInfo(s.context()).completedFence(), "fences before FaultedFenceId complete");
        assertTrue(vidmm.faults().get(0).interrupt().contains("FaultedFenceId " + third + ", PageFaultFlags 0x68"
                + " (ENGINE_RESET_REQUIRED|IOMMU|HW_CONTEXT_VALID), FaultErrorCode PAGE_FAULT, FaultedProcessHandle 0x9001"),
                vidmm.faults().get(0).interrupt());
    }

    @Test
    void aFaultWithAnInvalidFenceCompletesNothing() throws Exception {
        Submitted s = submitted(2);
        fault(s.device(), s.last(), PageFaultFlags.FENCE_INVALID | PageFaultFlags.ENGINE_RESET_REQUIRED);
        vidmm.awaitRecovery();
        assertEquals(0, vidmm.contextInfo(s.context()).completedFence(), "which packet faulted is unknown: none completes");
        verify(kmd).resetEngine(EngineNode.RENDER);
    }

    @Test
    void processExitDestroysItsDevicesAndReturnsEveryFrame() {
        FrameCounts before = mm.frames();
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        var a = vidmm.allocate(device, 64 * 1024, Set.of(AllocationCreateFlag.CREATE_SHARED));
        vidmm.makeResident(device, List.of(a.handle()));
        mm.addressSpace(pid).write(a.va(), new byte[] {1, 2, 3});
        mm.kill(pid);
        assertEquals(before, mm.frames());
        assertTrue(vidmm.processes().isEmpty());
        assertTrue(iommu.boundPasids().isEmpty());
        verify(kmd).destroyDevice(anyLong());
        verify(kmd).destroyProcess(anyLong());
    }
}
