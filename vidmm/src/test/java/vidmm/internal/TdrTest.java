package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import kmd.api.AdapterInfo;
import kmd.api.AllocationDescription;
import kmd.api.DmaCommand;
import kmd.api.DriverCaps;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.VidMmCaps;
import kmd.api.callbacks.DxgkCallbacks;
import kmd.api.callbacks.InterruptNotification;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import vidmm.AdapterStatus;
import vidmm.DeviceInfo;
import vidmm.FenceWait;
import vidmm.GpuFault;

/**
 * Timeout detection and recovery against a driver whose engine never completes what it is told to
 * hang on: the hung device is put in error, the engine reset, the others' work resubmitted; past the
 * limit the driver is given up.
 */
class TdrTest {
    TestMachine machine;
    WindowsMemoryManager mm;
    KernelModeDriver kmd = mock(KernelModeDriver.class);
    AtomicLong kmdHandles = new AtomicLong(0x9000);
    /** The SubmissionFenceId of the last submission VidMm gave the driver. */
    AtomicLong lastSubmissionFenceId = new AtomicLong();
    AtomicReference<DxgkCallbacks> interrupts = new AtomicReference<>();
    /** Driver context handles whose submissions complete; the others hang. */
    Set<Long> healthy = ConcurrentHashMap.newKeySet();
    /** Each driver context handle's node, as CreateContext was told. */
    java.util.Map<Long, EngineNode> nodes = new ConcurrentHashMap<>();
    VideoMemoryManager vidmm;

    @BeforeEach
    void driver() {
        stub(kmd);
    }

    void stub(KernelModeDriver kmd) {
        when(kmd.queryAdapterInfo()).thenReturn(new AdapterInfo("hanging", new VidMmCaps(true, true, false, false, false),
                new DriverCaps(1 << 20), List.of()));
        when(kmd.createProcess(anyInt(), any())).thenAnswer(i -> kmdHandles.incrementAndGet());
        when(kmd.createDevice(anyLong(), anyInt())).thenAnswer(i -> kmdHandles.incrementAndGet());
        when(kmd.createContext(anyLong(), anyInt(), anyInt())).thenAnswer(i -> {
            long h = kmdHandles.incrementAndGet();
            nodes.put(h, EngineNode.ofNodeOrdinal(i.getArgument(1)));
            return h;
        });
        when(kmd.createAllocation(anyLong(), any())).thenAnswer(i -> new AllocationDescription(4096, 4096, 1, Set.of()));
        doAnswer(i -> {
            interrupts.set(i.getArgument(0));
            return null;
        }).when(kmd).startDevice(any());
        doAnswer(i -> {
            long context = i.getArgument(0);
            lastSubmissionFenceId.set(i.getArgument(2));
            if (healthy.contains(context)) { // the node's SubmissionFenceId VidMm gave it
                interrupts.get().notifyInterrupt(new InterruptNotification.DmaCompleted(nodes.get(context), 0,
                        i.getArgument(2)));
            }
            return null;
        }).when(kmd).submitCommand(anyLong(), any(), anyLong());
    }

    /** The machine with the hanging driver, TdrDelay {@code delayMillis} and TdrLimitCount {@code limitCount} within 60 s. */
    void start(long delayMillis, int limitCount) {
        machine = TestMachine.builder().memory(64L << 20).iommu(1024, 64).driver(gpu -> kmd, "hanging")
                .tdr(delayMillis, 5000).tdrLimit(limitCount, 60).build();
        mm = machine.os();
        vidmm = machine.vidmm();
    }

    @AfterEach
    void stop() throws InterruptedException {
        machine.close();
    }

    @Test
    void aHungSubmissionIsAFaultOfItsDeviceAndTheOthersGoOn() throws Exception {
        start(100, 5);
        long hung = vidmm.createDevice(mm.spawn("hung"));
        long other = vidmm.createDevice(mm.spawn("other"));
        long hungContext = vidmm.context(hung, EngineNode.RENDER);
        long otherContext = vidmm.context(other, EngineNode.RENDER);
        long otherKmd = kmdHandles.get();
        List<DmaCommand> fill = List.of(new DmaCommand.Fill(0x10000, 16, 1));
        long stuck = vidmm.submit(hungContext, fill);
        long queued = vidmm.submit(otherContext, fill); // behind it on the engine, never run
        healthy.add(otherKmd); // once resubmitted after the reset, it completes

        long began = System.nanoTime();
        assertEquals(FenceWait.DEVICE_IN_ERROR, vidmm.waitForFence(hungContext, stuck, 5000));
        long waited = (System.nanoTime() - began) / 1_000_000;
        assertTrue(waited < 2000, "detected in " + waited + " ms, TdrDelay is 100 ms");
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(otherContext, queued, 5000), "the other device's work was resubmitted");
        verify(kmd).resetEngine(EngineNode.RENDER);
        // given twice: before the reset (the node's SubmissionFenceId 2, after the hung one's 1) and again after it (3)
        verify(kmd).submitCommand(eq(otherKmd), any(), eq(2L));
        verify(kmd).submitCommand(eq(otherKmd), any(), eq(3L));
        assertEquals(DeviceInfo.Status.ERROR, vidmm.device(hung).status());
        assertEquals(DeviceInfo.Status.ACTIVE, vidmm.device(other).status());
        GpuFault f = vidmm.faults().get(vidmm.faults().size() - 1);
        assertTrue(f.reason().startsWith("TIMEOUT: fence " + stuck), f.reason());
        assertEquals("engine reset (TDR)", f.outcome());
        assertEquals(AdapterStatus.State.STARTED, vidmm.adapter().state());
    }

    @Test
    void moreTimeoutsThanTheLimitGiveTheDriverUp() throws Exception {
        start(50, 1);
        List<DmaCommand> fill = List.of(new DmaCommand.Fill(0x10000, 16, 1));
        long first = vidmm.createDevice(mm.spawn("a"));
        assertEquals(FenceWait.DEVICE_IN_ERROR, vidmm.waitForFence(vidmm.context(first, EngineNode.COPY), vidmm.submit(vidmm.context(first, EngineNode.COPY), fill), 5000));
        assertEquals(AdapterStatus.State.STARTED, vidmm.adapter().state(), "one timeout is within the limit");
        long second = vidmm.createDevice(mm.spawn("b"));
        assertEquals(FenceWait.DEVICE_IN_ERROR, vidmm.waitForFence(vidmm.context(second, EngineNode.COPY), vidmm.submit(vidmm.context(second, EngineNode.COPY), fill), 5000));
        long deadline = System.currentTimeMillis() + 5000;
        while (vidmm.adapter().state() == AdapterStatus.State.STARTED && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertNotEquals(AdapterStatus.State.STARTED, vidmm.adapter().state(), "no other driver: the adapter stops");
        assertTrue(vidmm.drivers().get(0).refusal().startsWith("TDR limit: more than 1 timeouts within 60 s"),
                vidmm.drivers().toString());
        String outcome = vidmm.faults().get(vidmm.faults().size() - 1).outcome();
        assertTrue(outcome.contains("TDR limit") && outcome.endsWith("given up"), outcome);
    }

    /**
     * A driver's completion of a SubmissionFenceId VidMm never gave on that node (or gave on another
     * node) changes nothing; the id it gave completes its submission.
     */
    @Test
    void interruptsForUnknownDevicesOrFencesAreIgnored() {
        start(60_000, 5);
        long device = vidmm.createDevice(mm.spawn("app"));
        long context = vidmm.context(device, EngineNode.COPY);
        long fence = vidmm.submit(context, List.of(new DmaCommand.Fill(0x10000, 16, 1)));
        long given = lastSubmissionFenceId.get();
        interrupts.get().notifyInterrupt(new InterruptNotification.DmaCompleted(EngineNode.COPY, 0, 0x7777));
        interrupts.get().notifyInterrupt(new InterruptNotification.DmaCompleted(EngineNode.COPY, 0, given + 10));
        interrupts.get().notifyInterrupt(new InterruptNotification.DmaCompleted(EngineNode.RENDER, 0, given));
        assertEquals(0, vidmm.contextInfo(context).completedFence(), "a fence never submitted does not complete anything");
        assertEquals(FenceWait.TIMED_OUT, vidmm.waitForFence(context, fence, 50));
        long later = vidmm.submit(context, List.of(new DmaCommand.Fill(0x10000, 16, 2)));
        assertEquals(FenceWait.TIMED_OUT, vidmm.waitForFence(context, later, 50), "the next submission is not completed in advance");
        interrupts.get().notifyInterrupt(new InterruptNotification.DmaCompleted(EngineNode.COPY, 0, lastSubmissionFenceId.get()));
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(context, later, 1000));
        assertEquals(DeviceInfo.Status.ACTIVE, vidmm.device(device).status());
    }

    /**
     * A swap's quiesce puts a device whose work never finished in error, but the engine may still hold
     * that work: when the device goes, its engines are reset, so none of it runs after its PASID is
     * given to another process.
     */
    @Test
    void aDeviceThatGoesWithWorkStillOnAnEngineHasThatEngineReset() {
        start(60_000, 5);
        long device = vidmm.createDevice(mm.spawn("app"));
        vidmm.submit(vidmm.context(device, EngineNode.RENDER), List.of(new DmaCommand.Fill(0x10000, 16, 1)));
        KernelModeDriver better = mock(KernelModeDriver.class);
        stub(better);
        machine.offer(better, 7L, 9, "better");
        assertEquals(DeviceInfo.Status.ERROR, vidmm.device(device).status(), "the quiesce gave up on its work after 2 s");
        vidmm.destroyDevice(device);
        verify(better).resetEngine(EngineNode.RENDER);
        verify(better, org.mockito.Mockito.never()).resetEngine(EngineNode.COPY); // it has no context there: nothing of it can be on it
    }
}
