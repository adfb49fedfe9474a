package gpu.hw.internal;

import iommu.hw.internal.IommuFixture;
import os.memmgr.internal.OsFixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import gpu.hw.BufferSubmission;
import gpu.hw.CommandPackets;
import gpu.hw.EngineStatus;
import gpu.hw.EngineType;
import gpu.hw.GpuCommand;
import gpu.hw.Interrupt;
import gpu.hw.PciIdentity;
import gpu.hw.Submission;
import iommu.hw.Access;
import iommu.hw.FaultKind;
import iommu.hw.internal.IommuUnit;
import iommu.hw.internal.LazySystemMemory;
import os.memmgr.AddressSpace;
import os.memmgr.PageProtection;
import os.memmgr.internal.WindowsMemoryManager;

class SimulatedGpuTest {
    LazySystemMemory memory = IommuFixture.memory(128L << 20);
    IommuUnit iommu = IommuFixture.unit(memory, 0, 1024, 64, 4);
    WindowsMemoryManager mm = OsFixture.memoryManager(memory, iommu);
    SimulatedGpu gpu;
    BlockingQueue<Interrupt> interrupts = new LinkedBlockingQueue<>();
    int pid;
    AddressSpace as;
    int pasid;

    SimulatedGpuTest() {
        gpu = new SimulatedGpu(iommu, memory, new PciIdentity(0x1234, 0x1111, 2), 4096, SimulatedGpu.modes(2, 64, 48));
        gpu.attach(interrupts::add);
        pid = mm.spawn("app");
        as = mm.addressSpace(pid);
        pasid = mm.bindIommu(pid);
    }

    @AfterEach
    void off() throws InterruptedException {
        gpu.powerOff();
    }

    Interrupt run(EngineType engine, long fence, GpuCommand... commands) throws InterruptedException {
        gpu.submit(engine, new Submission(pasid, 7, List.of(commands), fence));
        Interrupt i = interrupts.poll(5, TimeUnit.SECONDS);
        assertTrue(i != null, "no interrupt within 5 s");
        return i;
    }

    Interrupt runBuffer(long va, int bytes, long fence) throws InterruptedException {
        gpu.submitBuffer(EngineType.COPY, 0, new BufferSubmission(pasid, 7, va, bytes, fence));
        Interrupt i = interrupts.poll(5, TimeUnit.SECONDS);
        assertTrue(i != null, "no interrupt within 5 s");
        return i;
    }

    @Test
    void aCommandBufferInProcessMemoryIsFetchedThroughThePasidAndRun() throws InterruptedException {
        long a = as.allocate(2 * 4096, PageProtection.READWRITE);
        long buffer = as.allocate(4096, PageProtection.READWRITE);
        as.write(a, "fetched by the GPU".getBytes(StandardCharsets.UTF_8));
        byte[] packets = CommandPackets.encode(List.of(new GpuCommand.Copy(a, a + 4096, 18),
                new GpuCommand.WriteFence(a + 100, 0x55)));
        as.write(buffer, packets); // the CPU writes the commands at a VA; the GPU reads them at the same VA
        assertEquals(new Interrupt.MonitoredFenceSignaled(EngineType.COPY, 7), runBuffer(buffer, packets.length, 42),
                "a fence value written from a buffer raises MONITORED_FENCE_SIGNALED as it lands");
        assertEquals(new Interrupt.DmaCompleted(EngineType.COPY, 7, 42), interrupts.poll(5, TimeUnit.SECONDS));
        assertArrayEquals("fetched by the GPU".getBytes(StandardCharsets.UTF_8), as.read(a + 4096, 18));
        assertEquals(0x55, as.read(a + 100, 1)[0]);

        int pid2 = mm.spawn("other");
        int otherPasid = mm.bindIommu(pid2);
        gpu.submitBuffer(EngineType.COPY, 0, new BufferSubmission(otherPasid, 8, buffer, packets.length, 43));
        Interrupt.DmaPageFaulted foreign = assertInstanceOf(Interrupt.DmaPageFaulted.class, interrupts.poll(5, TimeUnit.SECONDS),
                "another process's PASID does not reach the buffer");
        assertEquals(buffer, foreign.faultedVa());
        assertEquals(Access.READ, foreign.access());
    }

    @Test
    void aBufferThatIsGoneIsAPageFaultAndAnInvalidOneADmaFaultWithNothingRun() throws InterruptedException {
        long a = as.allocate(4096, PageProtection.READWRITE);
        long buffer = as.allocate(4096, PageProtection.READWRITE);
        byte[] packets = CommandPackets.encode(List.of(new GpuCommand.WriteFence(a, 0x11),
                new GpuCommand.Fill(a + 8, 8, 0x22222222)));
        packets[24] = 0x77; // the second packet's opcode: unknown
        as.write(buffer, packets);
        Interrupt.DmaFaulted bad = assertInstanceOf(Interrupt.DmaFaulted.class, runBuffer(buffer, packets.length, 5));
        assertEquals(buffer + 24, bad.faultedVa(), "the bad packet's address");
        assertTrue(bad.reason().contains("unknown opcode 0x0077"), bad.reason());
        assertEquals(0, as.read(a, 1)[0], "the valid first packet did not run either");
        assertEquals(EngineStatus.FAULTED, gpu.status(EngineType.COPY));
        gpu.resetEngine(EngineType.COPY);

        as.release(buffer);
        Interrupt.DmaPageFaulted gone = assertInstanceOf(Interrupt.DmaPageFaulted.class, runBuffer(buffer, packets.length, 6));
        assertEquals(buffer, gone.faultedVa());
        assertEquals(FaultKind.NOT_PRESENT, gone.kind());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> gpu.submitBuffer(EngineType.COPY, 0,
                new BufferSubmission(pasid, 7, buffer, 0, 7)));
        assertTrue(empty.getMessage().contains("command buffer length must be 1.."), empty.getMessage());
    }

    @Test
    void copyFillAndFenceMoveRealBytesThroughThePasid() throws InterruptedException {
        long a = as.allocate(3 * 4096, PageProtection.READWRITE);
        long b = as.allocate(3 * 4096, PageProtection.READWRITE);
        long fence = as.allocate(4096, PageProtection.READWRITE);
        as.write(a + 4000, "copied by the GPU".getBytes(StandardCharsets.UTF_8));
        Interrupt done = run(EngineType.COPY, 42,
                new GpuCommand.Copy(a + 4000, b + 100, 17),
                new GpuCommand.Fill(b + 8192, 8, 0xDDCCBBAA),
                new GpuCommand.WriteFence(fence, 0x1122334455667788L));
        assertEquals(new Interrupt.DmaCompleted(EngineType.COPY, 7, 42), done);
        assertArrayEquals("copied by the GPU".getBytes(StandardCharsets.UTF_8), as.read(b + 100, 17));
        assertArrayEquals(new byte[] {(byte) 0xAA, (byte) 0xBB, (byte) 0xCC, (byte) 0xDD, (byte) 0xAA, (byte) 0xBB,
                (byte) 0xCC, (byte) 0xDD}, as.read(b + 8192, 8));
        assertEquals(0x88, as.read(fence, 1)[0] & 0xFF);
        assertEquals(1, gpu.stats().submissionsCompleted());
    }

    @Test
    void rectanglesHonourThePitch() throws InterruptedException {
        long surface = as.allocate(4096, PageProtection.READWRITE);
        long copy = as.allocate(4096, PageProtection.READWRITE);
        run(EngineType.RENDER, 1, new GpuCommand.FillRect(surface + 64 + 2, 64, 4, 3, 0x01010101),
                new GpuCommand.Blit(surface, 64, copy, 32, 16, 8));
        byte[] s = as.read(surface, 64 * 5);
        assertEquals(0, s[64 + 1]);
        assertEquals(1, s[64 + 2]);
        assertEquals(1, s[64 + 5]);
        assertEquals(0, s[64 + 6]);
        assertEquals(1, s[3 * 64 + 2]);
        assertEquals(0, s[4 * 64 + 2], "three rows only");
        byte[] c = as.read(copy, 32 * 8);
        assertEquals(1, c[32 + 2], "row 1 of the source at row 1 of the 32-byte-pitch copy");
        assertEquals(0, c[32 + 16 + 2], "blit copies 16 bytes a row");
    }

    @Test
    void aFaultHaltsTheEngineUntilResetAndWritesNothingMore() throws InterruptedException {
        long ro = as.allocate(4096, PageProtection.READONLY);
        as.read(ro, 1); // present, read-only: the write is a permission fault, not a refused page request
        long rw = as.allocate(4096, PageProtection.READWRITE);
        Interrupt i = run(EngineType.COPY, 5, new GpuCommand.Fill(ro, 16, -1), new GpuCommand.Fill(rw, 16, -1));
        Interrupt.DmaPageFaulted f = assertInstanceOf(Interrupt.DmaPageFaulted.class, i);
        assertEquals(ro, f.faultedVa());
        assertEquals(pasid, f.pasid());
        assertEquals(Access.WRITE, f.access());
        assertEquals(FaultKind.WRITE_PROTECTED, f.kind());
        assertEquals(EngineStatus.FAULTED, gpu.status(EngineType.COPY));
        assertArrayEquals(new byte[16], as.read(rw, 16), "commands after the fault did not run");

        gpu.submit(EngineType.COPY, new Submission(pasid, 7, List.of(new GpuCommand.Fill(rw, 4, 1)), 6));
        Thread.sleep(100);
        assertArrayEquals(new byte[4], as.read(rw, 4), "a faulted engine holds its queue");
        assertEquals(1, gpu.resetEngine(EngineType.COPY));
        assertEquals(EngineStatus.IDLE, gpu.status(EngineType.COPY));
        assertInstanceOf(Interrupt.DmaCompleted.class, run(EngineType.COPY, 7, new GpuCommand.Fill(rw, 4, 1)));
        assertEquals(1, as.read(rw, 1)[0]);
    }

    @Test
    void demandZeroPagesAreFaultedInByTheOs() throws InterruptedException {
        long fresh = as.allocate(1 << 20, PageProtection.READWRITE);
        assertInstanceOf(Interrupt.DmaCompleted.class, run(EngineType.RENDER, 1, new GpuCommand.Fill(fresh, 1 << 20, 0x5A5A5A5A)));
        assertEquals(0x5A, as.read(fresh + (1 << 20) - 1, 1)[0]);
        assertTrue(iommu.stats().pageRequests() >= 256);
    }

    @Test
    void badSubmissionsAreRefusedWithTheirReason() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> gpu.submit(EngineType.COPY, new Submission(0, 1, List.of(new GpuCommand.Fill(0x10000, 4, 0)), 1)));
        assertTrue(e.getMessage().contains("PASID 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> gpu.submit(EngineType.COPY, new Submission(pasid, 1, List.of(), 1)));
        e = assertThrows(IllegalArgumentException.class, () -> gpu.submit(EngineType.COPY,
                new Submission(pasid, 1, List.of(new GpuCommand.FillRect(0x10000, 8, 16, 2, 0)), 1)));
        assertTrue(e.getMessage().contains("pitch 8"), e.getMessage());
        assertEquals(0, gpu.stats().submissionsCompleted() + gpu.stats().submissionsFaulted());
    }

    @Test
    void copyEnginesRunApartAFaultHaltsOnlyItsOwn() throws InterruptedException {
        assertEquals(2, gpu.engineCount(EngineType.COPY));
        assertEquals(1, gpu.engineCount(EngineType.RENDER));
        long ro = as.allocate(4096, PageProtection.READONLY);
        as.read(ro, 1);
        long rw = as.allocate(4096, PageProtection.READWRITE);
        gpu.submit(EngineType.COPY, 0, new Submission(pasid, 7, List.of(new GpuCommand.Fill(ro, 16, -1)), 1));
        assertInstanceOf(Interrupt.DmaPageFaulted.class, interrupts.poll(5, TimeUnit.SECONDS));
        assertEquals(EngineStatus.FAULTED, gpu.status(EngineType.COPY, 0));
        gpu.submit(EngineType.COPY, 1, new Submission(pasid, 8, List.of(new GpuCommand.Fill(rw, 4, 0x01010101)), 1));
        assertInstanceOf(Interrupt.DmaCompleted.class, interrupts.poll(5, TimeUnit.SECONDS), "copy engine 1 runs on");
        assertEquals(1, as.read(rw, 1)[0]);
        assertEquals(EngineStatus.IDLE, gpu.status(EngineType.COPY, 1));
        var e = assertThrows(IllegalArgumentException.class, () -> gpu.submit(EngineType.COPY, 2,
                new Submission(pasid, 7, List.of(new GpuCommand.Fill(rw, 4, 0)), 2)));
        assertTrue(e.getMessage().contains("COPY engine 2 does not exist"), e.getMessage());
        gpu.resetEngine(EngineType.COPY); // every copy engine
        assertEquals(EngineStatus.IDLE, gpu.status(EngineType.COPY, 0));
    }
}
