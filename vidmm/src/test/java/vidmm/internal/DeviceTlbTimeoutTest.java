package vidmm.internal;

import iommu.hw.internal.IommuFixture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import gpu.hw.internal.SimulatedGpu;
import iommu.hw.internal.IommuUnit;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import machine.testing.TestMachine;
import os.memmgr.AddressSpace;
import os.memmgr.PageProtection;
import os.memmgr.internal.WindowsMemoryManager;
import vidmm.DeviceInfo;
import vidmm.FenceWait;
import vidmm.GpuFault;

/**
 * Fault injection: a GPU stops answering device-TLB invalidations. The OS's unmap still returns with
 * nothing stale reachable (the unit stops its queue on the time-out and refuses the GPU's translated
 * requests; the OS clears the time-out and its wait completes), the OS reports the GPU, VidMm resets
 * that adapter (TDR path), and afterwards the GPU translates afresh and works.
 */
class DeviceTlbTimeoutTest {
    static final int BYTES = 8 * 4096;

    TestMachine machine = TestMachine.builder().deviceTlbTimeoutMillis(100).build();
    WindowsMemoryManager mm = machine.os();
    IommuUnit iommu = machine.iommu();
    SimulatedGpu gpu = machine.gpu();
    VideoMemoryManager vidmm = machine.vidmm();

    @AfterEach
    void off() throws InterruptedException {
        machine.close();
    }

    static byte[] pattern(int seed) {
        byte[] b = new byte[BYTES];
        new Random(seed).nextBytes(b);
        return b;
    }

    FenceWait copy(long device, long from, long to) {
        long context = vidmm.context(device, EngineNode.COPY);
        long fence = vidmm.submit(context, List.of(new DmaCommand.Copy(from, to, BYTES)));
        return vidmm.waitForFence(context, fence, 5000);
    }

    @Test
    void anUnansweredDeviceTlbInvalidationResetsTheAdapterAndNothingStaleIsUsed() throws Exception {
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        AddressSpace as = mm.addressSpace(pid);
        long a = as.allocate(BYTES, PageProtection.READWRITE);
        long b = as.allocate(BYTES, PageProtection.READWRITE);
        as.write(a, pattern(1));
        assertEquals(FenceWait.COMPLETED, copy(device, a, b));
        assertArrayEquals(pattern(1), as.read(b, BYTES));
        assertTrue(gpu.deviceTlb(0).entries() >= 16, "the GPU cached both sides' translations");

        gpu.deviceTlbUnresponsive(0, true);
        as.release(b); // IOTLB, then device TLB (no answer: ITE), then the wait: returns, then the frames go
        assertEquals(1, IommuFixture.registers(iommu).queueStats().deviceTlbTimeouts());
        assertNull(IommuFixture.registers(iommu).invalidationTimeout(), "the OS cleared the time-out");
        assertNull(IommuFixture.registers(iommu).queueError());
        assertEquals(IommuFixture.registers(iommu).invalidationQueueTail(), IommuFixture.registers(iommu).invalidationQueueHead(),
                "the queue went on to its wait descriptor");

        as.reserve(b, BYTES);
        long c = as.allocate(BYTES, PageProtection.READWRITE); // may get b's frames
        as.write(c, pattern(2));
        vidmm.awaitRecovery();
        GpuFault reset = vidmm.faults().stream().filter(f -> f.reason().startsWith("DEVICE_TLB_TIMEOUT")).findFirst()
                .orElseThrow(() -> new AssertionError("VidMm did not hear of the time-out: " + vidmm.faults()));
        assertEquals("adapter reset", reset.outcome());
        assertTrue(reset.reason().contains("00:02.0"), reset.reason());
        assertFalse(gpu.deviceTlb(0).blocked(), "the reset emptied the device TLB, so the unit accepts the GPU again");
        assertEquals(0, gpu.deviceTlb(0).entries());

        gpu.deviceTlbUnresponsive(0, false);
        assertEquals(DeviceInfo.Status.ACTIVE, vidmm.device(device).status(), "no device was at fault");
        assertEquals(FenceWait.DEVICE_IN_ERROR, copy(device, a, b), "b is gone: the GPU translates afresh and faults");
        assertArrayEquals(pattern(2), as.read(c, BYTES), "nothing reached the frames b had");
    }
}
