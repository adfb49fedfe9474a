package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import umd.api.AllocationCreateFlag;
import umd.api.KernelThunks;
import umd.api.KmtAllocation;
import umd.api.ThunkException;
import umd.api.WaitResult;

/** Through its own thunks a process can name only its own devices, allocations and fences. */
class ForeignHandleTest {
    TestMachine machine = TestMachine.builder().memory(128L << 20).sources(1, 64, 48)
            .reference(TestMachine.IOMMU, 16L << 20).build();
    WindowsMemoryManager mm = machine.os();
    VideoMemoryManager vidmm = machine.vidmm();
    KernelThunks thunks = machine.thunks();

    @AfterEach
    void off() throws InterruptedException {
        machine.close();
    }

    static void refused(String what, Executable call) {
        ThunkException e = assertThrows(ThunkException.class, call, what);
        assertEquals("INVALID_HANDLE", e.status(), what + ": " + e.getMessage());
    }

    /** D3DKMTCreateContextVirtual: NodeOrdinal and EngineAffinity as the WDK has them, a bad one refused by name. */
    @Test
    void aContextNamesItsNodeOrdinalAndTheEngineAffinityBitOfItsGpu() {
        int pid = mm.spawn("app");
        KernelThunks own = thunks.forProcess(pid);
        long device = own.createDevice(pid);
        long copy = own.createContext(device, EngineNode.COPY.nodeOrdinal(), 1);
        assertEquals(EngineNode.COPY, vidmm.contextInfo(copy).node());
        ThunkException e = assertThrows(ThunkException.class, () -> own.createContext(device, 2, 1));
        assertEquals("INVALID_PARAMETER", e.status());
        assertTrue(e.getMessage().contains("NodeOrdinal 2 is not a node of the adapter"), e.getMessage());
        for (int affinity : new int[] {0, 3}) {
            e = assertThrows(ThunkException.class, () -> own.createContext(device, 1, affinity));
            assertEquals("INVALID_PARAMETER", e.status());
            assertTrue(e.getMessage().contains("must name one physical GPU"), e.getMessage());
        }
        e = assertThrows(ThunkException.class, () -> own.createContext(device, 1, 2));
        assertTrue(e.getMessage().contains("has physical GPUs 0..0, not 1"), e.getMessage());
        assertEquals(List.of(copy), vidmm.device(device).contexts(), "the refused calls made no context");
    }

    @Test
    void everyThunkRefusesAnotherProcesssHandlesAndLeavesItsStateAsItWas() {
        int a = mm.spawn("victim");
        int b = mm.spawn("intruder");
        KernelThunks asA = thunks.forProcess(a);
        KernelThunks asB = thunks.forProcess(b);
        long deviceA = asA.createDevice(a);
        KmtAllocation bufferA = asA.allocate(deviceA, 8192, Set.of());
        KmtAllocation sharedA = asA.allocate(deviceA, 4096, Set.of(AllocationCreateFlag.CREATE_SHARED));
        KmtAllocation primaryA = asA.allocate(deviceA, 64 * 48 * 4, Set.of(AllocationCreateFlag.PRIMARY));
        List<DmaCommand> fill = List.of(new DmaCommand.Fill(bufferA.va(), 16, 0x11111111));
        long contextA = asA.createContext(deviceA, EngineNode.RENDER.nodeOrdinal(), 1);
        long fenceA = asA.submit(contextA, fill);
        assertEquals(WaitResult.COMPLETED, asA.waitForFence(contextA, fenceA, 5000));
        long syncA = asA.createSynchronizationObject(deviceA).handle();
        umd.api.PagingQueue queueA = asA.createPagingQueue(deviceA);
        long trimA = asA.registerTrimNotification(deviceA, n -> { });
        long deviceB = asB.createDevice(b);
        var allocationsBefore = vidmm.allocations();
        var deviceBefore = vidmm.device(deviceA);
        var framesBefore = mm.frames();

        refused("DestroyDevice", () -> asB.destroyDevice(deviceA));
        refused("CreateAllocation", () -> asB.allocate(deviceA, 4096, Set.of()));
        refused("OpenResource on A's device", () -> asB.openResource(deviceA, sharedA.sharedHandle()));
        refused("DestroyAllocation", () -> asB.deallocate(deviceA, bufferA.handle()));
        refused("MakeResident", () -> asB.makeResident(deviceA, List.of(bufferA.handle())));
        refused("Evict", () -> asB.evict(deviceA, List.of(bufferA.handle())));
        refused("CreatePagingQueue", () -> asB.createPagingQueue(deviceA));
        refused("MakeResident through A's paging queue", () -> asB.makeResident(queueA.handle(), List.of(bufferA.handle()),
                java.util.EnumSet.noneOf(umd.api.MakeResidentFlag.class)));
        refused("DestroyPagingQueue", () -> asB.destroyPagingQueue(queueA.handle()));
        refused("RegisterTrimNotification", () -> asB.registerTrimNotification(deviceA, n -> { }));
        refused("UnregisterTrimNotification", () -> asB.unregisterTrimNotification(trimA));
        refused("QueryVideoMemoryInfo", () -> asB.queryVideoMemoryInfo(deviceA));
        refused("CreateContextVirtual", () -> asB.createContext(deviceA, EngineNode.COPY.nodeOrdinal(), 1));
        refused("SubmitCommand", () -> asB.submit(contextA, fill));
        refused("SubmitCommand of a command buffer", () -> asB.submitCommandBuffer(contextA, bufferA.va(), 32));
        refused("WaitForSynchronizationObject", () -> asB.waitForFence(contextA, fenceA, 0));
        refused("DestroyContext", () -> asB.destroyContext(contextA));
        refused("CreateSynchronizationObject", () -> asB.createSynchronizationObject(deviceA));
        refused("SignalSynchronizationObjectFromCpu", () -> asB.signalFromCpu(syncA, 1));
        refused("WaitForSynchronizationObjectFromCpu", () -> asB.waitFromCpu(syncA, 1, 0));
        refused("SignalSynchronizationObjectFromGpu", () -> asB.signalFromGpu(contextA, syncA, 1));
        refused("WaitForSynchronizationObjectFromGpu", () -> asB.waitFromGpu(contextA, syncA, 1));
        refused("DestroySynchronizationObject", () -> asB.destroySynchronizationObject(syncA));
        assertEquals(0, vidmm.syncObject(syncA).value(), "A's monitored fence is as it was");
        refused("Present", () -> asB.present(deviceA, primaryA.handle(), 0));
        for (KmtAllocation foreign : List.of(bufferA, sharedA, primaryA)) {
            refused("B's device, A's allocation: DestroyAllocation", () -> asB.deallocate(deviceB, foreign.handle()));
            refused("B's device, A's allocation: MakeResident", () -> asB.makeResident(deviceB, List.of(foreign.handle())));
            refused("B's device, A's allocation: Evict", () -> asB.evict(deviceB, List.of(foreign.handle())));
            refused("B's device, A's allocation: Present", () -> asB.present(deviceB, foreign.handle(), 0));
        }
        refused("CreateDevice for A", () -> asB.createDevice(a));
        refused("ProcessMemory of A", () -> asB.processMemory(a));
        refused("the thunks of A", () -> asB.forProcess(a));

        assertEquals(allocationsBefore, vidmm.allocations(), "A's allocations are as they were");
        assertEquals(deviceBefore, vidmm.device(deviceA), "A's device is as it was");
        assertEquals(framesBefore, mm.frames());
        KmtAllocation opened = asB.openResource(deviceB, sharedA.sharedHandle());
        assertTrue(opened.handle() != sharedA.handle(), "sharing by the shared handle still works, with B's own handle");
    }
}
