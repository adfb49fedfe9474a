package benchmarks;

import kmd.reference.internal.ReferenceFixture;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import gpu.hw.internal.SimulatedGpu;
import kmd.api.VidMmCaps;
import kmd.reference.internal.ReferenceKmd;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import umd.api.AllocationCreateFlag;
import vidmm.internal.VideoMemoryManager;

/**
 * A kernel-mode driver swap: quiesce the attached driver, start the better one and replay every
 * process, device, allocation and the displayed primary to it; then back. One operation = two swaps.
 * Beside it, the baseline: one allocation made and destroyed (what replay does per allocation, roughly).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SwapBenchmark {
    static final VidMmCaps IOMMU = new VidMmCaps(true, true, false, false, false);

    @State(Scope.Benchmark)
    public static class Machine {
        @Param({"10", "100", "1000"})
        int allocations;

        SimulatedGpu gpu;
        VideoMemoryManager vidmm;
        ReferenceKmd better;
        TestMachine machine;
        long device;

        @Setup(Level.Trial)
        public void setUp() {
            machine = TestMachine.builder().lockProbe(false).memory(1L << 30).aperturePages(65536).sources(1, 320, 240).build();
            WindowsMemoryManager mm = machine.os();
            gpu = machine.gpu();
            vidmm = machine.vidmm();
            better = ReferenceFixture.kmd(gpu, IOMMU, 64L << 20);
            device = vidmm.createDevice(mm.spawn("app"));
            for (int i = 0; i < allocations; i++) {
                vidmm.allocate(device, 4096, Set.of());
            }
            var primary = vidmm.allocate(device, 320 * 240 * 4, Set.of(AllocationCreateFlag.PRIMARY));
            vidmm.present(device, primary.handle(), 0);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            machine.close();
        }
    }

    @Benchmark
    public int swapToBetterAndBack(Machine m) {
        m.machine.withdraw(m.machine.offer(m.better, 2L, 5, "better"));
        return m.vidmm.drivers().size();
    }

    @Benchmark
    public long baselineOneAllocateAndDestroy(Machine m) {
        var a = m.vidmm.allocate(m.device, 4096, Set.of());
        m.vidmm.destroyAllocation(m.device, a.handle());
        return a.va();
    }
}
