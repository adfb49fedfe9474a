package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import os.memmgr.AddressSpace;
import vidmm.Allocation;
import vidmm.DeviceInfo;
import vidmm.FenceWait;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/** Monitored fences: a copy context waits on the GPU for a render context's signal; the CPU reads and waits for the value. */
class SyncObjectTest {
    Stack s = new Stack(64L << 20);

    @AfterEach
    void stop() throws InterruptedException {
        s.stop();
    }

    static long le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /**
     * The render context fills 128 MiB and signals 1; the copy context waits for 1 on the GPU, then
     * copies the fill's last bytes: it reads them written, although its engine was free at once.
     */
    @Test
    void aCopyContextWaitsOnTheGpuForTheRenderContextsSignal() throws Exception {
        int pid = s.mm.spawn("app");
        long device = s.vidmm.createDevice(pid);
        long size = 128L << 20;
        Allocation big = s.vidmm.allocate(device, size, Set.of());
        Allocation small = s.vidmm.allocate(device, 4096, Set.of());
        s.vidmm.makeResident(device, List.of(big.handle(), small.handle()));
        long render = s.vidmm.createContext(device, EngineNode.RENDER, 0);
        long copy = s.vidmm.createContext(device, EngineNode.COPY, 0);
        long sync = s.vidmm.createSynchronizationObject(device);

        s.vidmm.submit(render, List.of(new DmaCommand.Fill(big.va(), size, 0x5A5A5A5A)));
        long signal = s.vidmm.signalFromGpu(render, sync, 1);
        s.vidmm.waitFromGpu(copy, sync, 1);
        long copied = s.vidmm.submit(copy, List.of(new DmaCommand.Copy(big.va() + size - 16, small.va(), 16)));
        assertEquals(1, copied, "the copy context's own first fence");

        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(copy, copied, 30_000));
        AddressSpace as = s.mm.addressSpace(pid);
        byte[] fill = new byte[16];
        java.util.Arrays.fill(fill, (byte) 0x5A);
        assertArrayEquals(fill, as.read(small.va(), 16), "the copy ran only after the fill and its signal");
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(render, signal, 0), "the signal completed before the copy ran");
        assertEquals(1, s.vidmm.syncObject(sync).value());
        assertEquals(1, le(as.read(s.vidmm.syncObject(sync).va(), 8)), "the GPU wrote the value where the CPU reads it");
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitFromCpu(sync, 1, 0));
    }

    @Test
    void theCpuSignalsAndWaitsAndAWaitOnAnotherProcesssObjectIsRefused() throws Exception {
        int pid = s.mm.spawn("a");
        long device = s.vidmm.createDevice(pid);
        long copy = s.vidmm.createContext(device, EngineNode.COPY, 0);
        long sync = s.vidmm.createSynchronizationObject(device);
        assertEquals(FenceWait.TIMED_OUT, s.vidmm.waitFromCpu(sync, 3, 20));
        Thread signaller = new Thread(() -> s.vidmm.signalFromCpu(sync, 3));
        signaller.start();
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitFromCpu(sync, 3, 5000));
        signaller.join();
        s.vidmm.signalFromCpu(sync, 2); // lower: nothing changes
        assertEquals(3, s.vidmm.syncObject(sync).value());
        assertEquals(3, le(s.mm.addressSpace(pid).read(s.vidmm.syncObject(sync).va(), 8)));

        long other = s.vidmm.createDevice(s.mm.spawn("b"));
        long foreign = s.vidmm.createSynchronizationObject(other);
        assertEquals(VidMmStatus.INVALID_HANDLE, assertThrows(VidMmException.class,
                () -> s.vidmm.waitFromGpu(copy, foreign, 1)).status());
        assertEquals(VidMmStatus.INVALID_HANDLE, assertThrows(VidMmException.class,
                () -> s.vidmm.signalFromGpu(copy, foreign, 1)).status());
        assertEquals(VidMmStatus.INVALID_PARAMETER, assertThrows(VidMmException.class,
                () -> s.vidmm.signalFromGpu(copy, sync, 0)).status());
        assertEquals(VidMmStatus.INVALID_HANDLE, assertThrows(VidMmException.class,
                () -> s.vidmm.signalFromCpu(0x7777, 1)).status());
        assertEquals(0, s.vidmm.contextInfo(copy).submittedFence(), "the refused calls submitted nothing");

        s.vidmm.destroySynchronizationObject(sync);
        assertEquals(VidMmStatus.INVALID_HANDLE, assertThrows(VidMmException.class,
                () -> s.vidmm.waitFromCpu(sync, 1, 0)).status());
        s.mm.kill(s.vidmm.device(other).pid());
        assertEquals(List.of(), s.vidmm.syncObjects(), "a process's objects go with it");
    }

    /** A GPU wait nobody ever satisfies is a timeout of its context's device, found by TDR, not a hang. */
    @Test
    void aGpuWaitNeverSatisfiedIsATimeout() throws Exception {
        int pid = s.mm.spawn("stuck");
        long device = s.vidmm.createDevice(pid);
        Allocation a = s.vidmm.allocate(device, 4096, Set.of());
        long copy = s.vidmm.createContext(device, EngineNode.COPY, 0);
        long sync = s.vidmm.createSynchronizationObject(device);
        s.vidmm.waitFromGpu(copy, sync, 99);
        long fence = s.vidmm.submit(copy, List.of(new DmaCommand.Fill(a.va(), 16, 0x01010101)));
        long began = System.nanoTime();
        assertEquals(FenceWait.DEVICE_IN_ERROR, s.vidmm.waitForFence(copy, fence, 30_000));
        long took = (System.nanoTime() - began) / 1_000_000;
        assertTrue(took < 15_000, "found in " + took + " ms");
        assertEquals(DeviceInfo.Status.ERROR, s.vidmm.device(device).status());
        assertTrue(s.vidmm.faults().stream().anyMatch(f -> f.reason().startsWith("TIMEOUT: fence " + fence + " of context")),
                s.vidmm.faults().toString());
        assertArrayEquals(new byte[16], s.mm.addressSpace(pid).read(a.va(), 16), "the held fill never ran");
    }
}
