package benchmarks;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import gpu.hw.CommandPackets;
import gpu.hw.GpuCommand;
import gpu.hw.internal.SimulatedGpu;
import iommu.hw.internal.IommuUnit;
import iommu.hw.internal.LazySystemMemory;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import vidmm.Allocation;
import vidmm.FenceWait;
import vidmm.internal.VideoMemoryManager;

/**
 * A 16 MiB copy on the GPU's copy engine, submitted through VidMm and the reference KMD, each page
 * through the IOMMU, and waited for; beside the same bytes copied page by page on the CPU, and the
 * same copy by the IOMMU test initiator (no VidMm, no engine thread). And Allocate + Destroy of a
 * 64 KiB allocation per operation, beside the same with TdrDdiDelay off (DDIs on the caller's thread)
 * and the OS's VirtualAlloc + VirtualFree alone. The source allocations hold data (written once), so
 * that copies move bytes rather than the zeros of frames never written.
 *
 * <p>The heap is touched before the run ({@code -XX:+AlwaysPreTouch}): without it allocateAndDestroy ran
 * 2-5x slower until G1 had once cycled through a fresh eden (the host zeroing new pages), and its
 * error exceeded its score.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class VidMmBenchmark {
    static final int BYTES = 16 << 20;

    @State(Scope.Benchmark)
    public static class Machine {
        TestMachine machine;
        LazySystemMemory memory;
        IommuUnit iommu;
        WindowsMemoryManager mm;
        SimulatedGpu gpu;
        VideoMemoryManager vidmm;
        long device;
        /** The device's copy context: every submission of the benchmark goes there. */
        long context;
        Allocation src;
        Allocation dst;
        /** A command-buffer allocation: a COPY packet of the 16 MiB at its start, a 4-byte FILL at +64. */
        Allocation commands;
        int copyPacketBytes;
        int fillPacketBytes;
        int pid;
        int pasid;
        byte[] plainSrc = new byte[BYTES];
        byte[] plainDst = new byte[BYTES];

        @Setup(Level.Trial)
        public void setUp() {
            build(5000); // vidmm's default tdrDdiDelayMillis
        }

        /** The machine, with DDIs guarded by TdrDdiDelay (0: run on the caller's thread, unguarded). */
        void build(long tdrDdiDelayMillis) {
            machine = TestMachine.builder().lockProbe(false).memory(1L << 30).iommu(65536, 64).tdr(2000, tdrDdiDelayMillis).build();
            memory = machine.memory();
            iommu = machine.iommu();
            mm = machine.os();
            gpu = machine.gpu();
            vidmm = machine.vidmm();
            pid = mm.spawn("bench");
            device = vidmm.createDevice(pid);
            context = vidmm.createContext(device, EngineNode.COPY, 0);
            pasid = mm.addressSpace(pid).pasids().get(0);
            src = vidmm.allocate(device, BYTES, Set.of());
            dst = vidmm.allocate(device, BYTES, Set.of());
            commands = vidmm.allocate(device, 4096, Set.of());
            vidmm.makeResident(device, List.of(src.handle(), dst.handle(), commands.handle()));
            java.util.Arrays.fill(plainSrc, (byte) 3);
            written(this, pasid, src);
            byte[] copy = CommandPackets.encode(List.of(new GpuCommand.Copy(src.va(), dst.va(), BYTES)));
            byte[] fill = CommandPackets.encode(List.of(new GpuCommand.Fill(dst.va(), 4, 0)));
            mm.addressSpace(pid).write(commands.va(), copy); // the CPU writes the packets; the GPU fetches them
            mm.addressSpace(pid).write(commands.va() + 64, fill);
            copyPacketBytes = copy.length;
            fillPacketBytes = fill.length;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            machine.close();
        }
    }

    /** The same machine with TdrDdiDelay 0: every DDI on the caller's thread, no hand-off, nothing guarded. */
    @State(Scope.Benchmark)
    public static class UnguardedMachine extends Machine {
        @Override
        @Setup(Level.Trial)
        public void setUp() {
            build(0);
        }
    }

    /** Writes every byte of {@code a} (so that copies move data, not the zeros of frames never written). */
    static void written(Machine m, int pasid, Allocation a) {
        byte[] data = new byte[(int) a.size()];
        java.util.Arrays.fill(data, (byte) 5);
        if (!m.iommu.write(pasid, a.va(), data).completed()) {
            throw new IllegalStateException("could not write the source allocation");
        }
    }

    /** A process of its own per benchmark thread: its device, and a source and destination resident. */
    @State(Scope.Thread)
    public static class Process {
        long device;
        long context;
        int pasid;
        Allocation src;
        Allocation dst;

        @Setup(Level.Trial)
        public void setUp(Machine m) {
            int pid = m.mm.spawn("bench-thread");
            device = m.vidmm.createDevice(pid);
            context = m.vidmm.createContext(device, EngineNode.COPY, 0);
            src = m.vidmm.allocate(device, BYTES, Set.of());
            dst = m.vidmm.allocate(device, BYTES, Set.of());
            m.vidmm.makeResident(device, List.of(src.handle(), dst.handle()));
            pasid = m.mm.addressSpace(pid).pasids().get(0);
            written(m, pasid, src);
        }
    }

    /**
     * Two processes, each copying on its own device: the driver gives each device its own copy engine
     * (the adapter has two), so the copies run in parallel. Beside {@link #gpuCopyThroughVidMm}, one.
     */
    @Benchmark
    @Threads(2)
    public FenceWait gpuCopyTwoProcesses(Machine m, Process p) {
        long fence = m.vidmm.submit(p.context, List.of(new DmaCommand.Copy(p.src.va(), p.dst.va(), BYTES)));
        return m.vidmm.waitForFence(p.context, fence, 10_000);
    }

    @Benchmark
    public FenceWait gpuCopyThroughVidMm(Machine m) {
        long fence = m.vidmm.submit(m.context, List.of(new DmaCommand.Copy(m.src.va(), m.dst.va(), BYTES)));
        return m.vidmm.waitForFence(m.context, fence, 10_000);
    }

    /**
     * {@link #gpuCopyThroughVidMm} as an application submits it: a COPY packet in a command buffer of
     * the process (D3DKMTSubmitCommand of its VA and length, DxgkDdiSubmitCommandVirtual), which the
     * engine fetches through the device TLB and the IOMMU before it copies. Beside
     * {@link #baselineDmaCopyHandedOff}.
     */
    @Benchmark
    public FenceWait gpuCopyFromCommandBuffer(Machine m) {
        long fence = m.vidmm.submitBuffer(m.context, m.commands.va(), m.copyPacketBytes);
        return m.vidmm.waitForFence(m.context, fence, 10_000);
    }

    /**
     * {@link #submitAndWaitEmpty} with its 4-byte fill as a packet in a command buffer the engine
     * fetches through the IOMMU. Beside {@link #baselineThreadHandOff}.
     */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime) // each round trip timed: its distribution, not a throughput that one stall swings
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public FenceWait submitBufferAndWaitEmpty(Machine m) {
        long fence = m.vidmm.submitBuffer(m.context, m.commands.va() + 64, m.fillPacketBytes);
        return m.vidmm.waitForFence(m.context, fence, 10_000);
    }

    /**
     * The round trip of the smallest submission (a 4-byte fill): SubmitCommand through VidMm and the
     * driver, the engine thread runs it, its interrupt completes the context's fence, the caller
     * wakes. Beside {@link #baselineThreadHandOff}, what any hand-off to another thread and back costs.
     */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime) // each round trip timed: its distribution, not a throughput that one stall swings
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public FenceWait submitAndWaitEmpty(Machine m) {
        long fence = m.vidmm.submit(m.context, List.of(new DmaCommand.Fill(m.dst.va(), 4, 0)));
        return m.vidmm.waitForFence(m.context, fence, 10_000);
    }

    /** The baseline of {@link #submitAndWaitEmpty}: a task handed to another thread and its result back. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime) // each round trip timed: its distribution, not a throughput that one stall swings
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Object baselineThreadHandOff(HandOff h) throws Exception {
        return h.thread.submit(h.task).get();
    }

    /** One thread that runs what it is handed. */
    @State(Scope.Benchmark)
    public static class HandOff {
        java.util.concurrent.ExecutorService thread;
        final java.util.concurrent.Callable<Long> task = System::nanoTime;

        @Setup(Level.Trial)
        public void setUp() {
            thread = java.util.concurrent.Executors.newSingleThreadExecutor();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            thread.shutdownNow();
        }
    }

    /**
     * The baseline of {@link #gpuCopyThroughVidMm} that has its shape without VidMm: the same DMA copy
     * handed to another thread (as the engine is) and waited for, so that what a second thread and a
     * wake-up cost is not charged to VidMm.
     */
    @Benchmark
    public Object baselineDmaCopyHandedOff(Machine m, HandOff h) throws Exception {
        return h.thread.submit(() -> m.iommu.copy(m.pasid, m.src.va(), m.dst.va(), BYTES)).get();
    }

    @Benchmark
    public Object baselineDmaCopyNoVidMm(Machine m) {
        return m.iommu.copy(m.pasid, m.src.va(), m.dst.va(), BYTES);
    }

    /**
     * The baseline of {@link #gpuCopyTwoProcesses}: the same two processes' copies by the IOMMU's test
     * initiator on the benchmark threads (no VidMm, no engine), what the DMA path itself gives two threads.
     */
    @Benchmark
    @Threads(2)
    public Object baselineDmaCopyTwoProcesses(Machine m, Process p) {
        return m.iommu.copy(p.pasid, p.src.va(), p.dst.va(), BYTES);
    }

    @Benchmark
    public byte[] baselinePlainPageCopies(Machine m) {
        return Baselines.pageCopies(m.plainSrc, m.plainDst, BYTES);
    }

    /** A source and a destination of each benchmark thread's own, holding data. */
    @State(Scope.Thread)
    public static class PlainBuffers {
        byte[] src = new byte[BYTES];
        byte[] dst = new byte[BYTES];

        @Setup(Level.Trial)
        public void setUp() {
            java.util.Arrays.fill(src, (byte) 7);
        }
    }

    /**
     * What the machine itself gives two threads copying 16 MiB page by page at once, each its own
     * buffers: the scaling {@link #gpuCopyTwoProcesses} can reach at most, beside {@link #baselinePlainPageCopies}.
     */
    @Benchmark
    @Threads(2)
    public byte[] baselinePlainPageCopiesTwoThreads(PlainBuffers b) {
        return Baselines.pageCopies(b.src, b.dst, BYTES);
    }

    /** Allocate + Destroy of 64 KiB: four DDIs, each handed to the driver context's DDI thread (TdrDdiDelay). */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long allocateAndDestroy(Machine m) {
        Allocation a = m.vidmm.allocate(m.device, 64 * 1024, Set.of());
        m.vidmm.destroyAllocation(m.device, a.handle());
        return a.va();
    }

    /** The same with TdrDdiDelay 0: the DDIs on the caller's thread, what the guard's hand-offs cost. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long baselineAllocateAndDestroyUnguarded(UnguardedMachine m) {
        return allocateAndDestroy(m);
    }

    /** The OS part alone: VirtualAlloc + VirtualFree of 64 KiB in the same process, no VidMm, no driver. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public long baselineVirtualAllocAndFree(Machine m) {
        var space = m.mm.addressSpace(m.pid);
        long va = space.allocate(64 * 1024, os.memmgr.PageProtection.READWRITE);
        space.release(va);
        return va;
    }
}
