package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import gpu.hw.CommandPackets;
import gpu.hw.GpuCommand;
import kmd.api.EngineNode;
import machine.testing.TestMachine;
import os.memmgr.AddressSpace;
import vidmm.Allocation;
import vidmm.DeviceInfo;
import vidmm.FenceWait;
import vidmm.GpuFault;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * D3DKMTSubmitCommand of a command buffer: the process writes packets into its own memory with the
 * CPU, VidMm passes the buffer's address and size to the driver (DxgkDdiSubmitCommandVirtual)
 * without reading it, and the GPU fetches it at the same virtual address through the IOMMU, with
 * the process's PASID, and runs it.
 */
class CommandBufferTest {
    final TestMachine machine = TestMachine.builder().build();
    final VideoMemoryManager vidmm = machine.vidmm();
    final int pid = machine.os().spawn("app");
    final AddressSpace memory = machine.os().addressSpace(pid);
    final long device = vidmm.createDevice(pid);
    final long copy = vidmm.context(device, EngineNode.COPY);

    @AfterEach
    void stop() {
        machine.close();
    }

    /** Writes {@code commands} as packets at the start of {@code buffer}; returns their length. */
    int write(Allocation buffer, GpuCommand... commands) {
        byte[] packets = CommandPackets.encode(List.of(commands));
        memory.write(buffer.va(), packets);
        return packets.length;
    }

    @Test
    void theGpuRunsTheCommandBufferTheProcessWroteAtTheSameAddress() {
        Allocation data = vidmm.allocate(device, 2 * 4096, Set.of());
        Allocation buffer = vidmm.allocate(device, 4096, Set.of());
        byte[] source = new byte[4096];
        Arrays.fill(source, (byte) 0x3c);
        memory.write(data.va(), source);
        int length = write(buffer, new GpuCommand.Fill(data.va() + 4096, 4096, 0x5a5a5a5a),
                new GpuCommand.Copy(data.va(), data.va() + 4096, 16));

        long fence = vidmm.submitBuffer(copy, buffer.va(), length);
        assertEquals(1, fence, "a command buffer takes the context's next fence");
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(copy, fence, 5000));
        byte[] out = memory.read(data.va() + 4096, 4096);
        assertArrayEquals(Arrays.copyOf(source, 16), Arrays.copyOf(out, 16), "the copy after the fill ran, in order");
        byte[] rest = new byte[4096 - 16];
        Arrays.fill(rest, (byte) 0x5a);
        assertArrayEquals(rest, Arrays.copyOfRange(out, 16, 4096));
    }

    @Test
    void aBufferThatIsNotPacketsFaultsItsDeviceAndRunsNothing() {
        Allocation data = vidmm.allocate(device, 4096, Set.of());
        Allocation buffer = vidmm.allocate(device, 4096, Set.of());
        int length = write(buffer, new GpuCommand.Fill(data.va(), 4096, 0x11111111));
        memory.write(buffer.va(), new byte[] {(byte) 0x7f, 0, 0, 0}); // an opcode the engine does not know

        long fence = vidmm.submitBuffer(copy, buffer.va(), length);
        assertEquals(FenceWait.DEVICE_IN_ERROR, vidmm.waitForFence(copy, fence, 5000));
        assertEquals(DeviceInfo.Status.ERROR, vidmm.device(device).status());
        GpuFault f = vidmm.faults().get(vidmm.faults().size() - 1);
        assertTrue(f.reason().startsWith("INVALID_COMMAND_BUFFER"), f.reason());
        assertArrayEquals(new byte[4096], memory.read(data.va(), 4096), "nothing of the buffer ran");
    }

    @Test
    void aBufferWhereNothingIsMappedIsAPageFaultAtItsAddress() {
        long nowhere = 0x7000_0000L; // reserved by nobody
        long fence = vidmm.submitBuffer(copy, nowhere, 64);
        assertEquals(FenceWait.DEVICE_IN_ERROR, vidmm.waitForFence(copy, fence, 5000));
        GpuFault f = vidmm.faults().get(vidmm.faults().size() - 1);
        assertEquals(nowhere, f.va() & ~0xfffL, "the fault names the buffer's page: " + f);
    }

    @Test
    void aBadLengthOrAddressIsRefusedAndTakesNoFence() {
        Allocation buffer = vidmm.allocate(device, 4096, Set.of());
        VidMmException empty = assertThrows(VidMmException.class, () -> vidmm.submitBuffer(copy, buffer.va(), 0));
        assertEquals(VidMmStatus.INVALID_PARAMETER, empty.status());
        assertEquals("INVALID_PARAMETER: a command buffer must be 1..1048576 bytes, not 0", empty.getMessage());
        VidMmException kernel = assertThrows(VidMmException.class, () -> vidmm.submitBuffer(copy, 0xffff_8000_0000_0000L, 64));
        assertEquals(VidMmStatus.INVALID_PARAMETER, kernel.status());
        assertEquals(VidMmStatus.INVALID_PARAMETER, assertThrows(VidMmException.class,
                () -> vidmm.submitBuffer(copy, (1L << 47) - 16, 64)).status(), "a buffer that runs past the user space");
        assertEquals(VidMmStatus.INVALID_HANDLE,
                assertThrows(VidMmException.class, () -> vidmm.submitBuffer(0x7777, buffer.va(), 64)).status());
        int length = write(buffer, new GpuCommand.Fill(buffer.va() + 2048, 16, 1));
        assertEquals(1, vidmm.submitBuffer(copy, buffer.va(), length), "the refusals took no fence");
    }

    /**
     * A WRITE_FENCE packet in the process's own buffer sets a monitored fence: the engine raises
     * MONITORED_FENCE_SIGNALED as the value lands, and VidMm reads the fence again and wakes its
     * waiters, a CPU waiter and a context held behind a GPU wait alike. Before, only VidMm's own
     * signalFromGpu marked a fence signalled, so both waited until they timed out.
     */
    @Test
    void aFenceValueWrittenFromACommandBufferWakesItsWaiters() throws Exception {
        long sync = vidmm.createSynchronizationObject(device);
        long fenceVa = vidmm.syncObject(sync).va();
        java.util.concurrent.CompletableFuture<FenceWait> cpu = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> vidmm.waitFromCpu(sync, 5, 5000));
        long render = vidmm.context(device, EngineNode.RENDER);
        Allocation data = vidmm.allocate(device, 4096, Set.of());
        vidmm.waitFromGpu(render, sync, 5);
        long held = vidmm.submit(render, List.of(new kmd.api.DmaCommand.Fill(data.va(), 16, 0x07070707)));
        Allocation buffer = vidmm.allocate(device, 4096, Set.of());
        int length = write(buffer, new GpuCommand.WriteFence(fenceVa, 5));

        vidmm.submitBuffer(copy, buffer.va(), length);
        assertEquals(FenceWait.COMPLETED, cpu.get(10, java.util.concurrent.TimeUnit.SECONDS), "the CPU waiter woke");
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(render, held, 5000), "the GPU wait let the render go");
        assertEquals(5, vidmm.syncObject(sync).value());
        assertEquals(7, memory.read(data.va(), 1)[0]);
    }

    /**
     * A WAIT_FENCE packet in an application's buffer holds the engine, and what the buffer has after
     * it, until the monitored fence reaches the value: a CPU signal of the fence lets it go.
     */
    @Test
    void aWaitFencePacketHoldsTheBufferUntilTheMonitoredFenceIsSignalled() throws Exception {
        long sync = vidmm.createSynchronizationObject(device);
        long fenceVa = vidmm.syncObject(sync).va();
        Allocation data = vidmm.allocate(device, 4096, Set.of());
        Allocation buffer = vidmm.allocate(device, 4096, Set.of());
        vidmm.makeResident(device, List.of(data.handle(), buffer.handle()));
        int length = write(buffer, new GpuCommand.WaitFence(fenceVa, 3), new GpuCommand.Fill(data.va(), 16, 0x09090909));

        long fence = vidmm.submitBuffer(copy, buffer.va(), length);
        assertEquals(FenceWait.TIMED_OUT, vidmm.waitForFence(copy, fence, 200), "held while the fence is 0");
        assertEquals(0, memory.read(data.va(), 1)[0], "the fill after the wait has not run");
        vidmm.signalFromCpu(sync, 3);
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(copy, fence, 5000));
        assertEquals(9, memory.read(data.va(), 1)[0]);
    }
}
