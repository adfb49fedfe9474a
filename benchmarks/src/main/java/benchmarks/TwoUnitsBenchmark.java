package benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import iommu.hw.Access;
import iommu.hw.TranslationPort;

/**
 * Page-walk misses of two GPUs behind two units of one machine (one memory, one OS, one process bound
 * to both): {@code walkMissTwoUnits} runs two threads, each the requester of its own unit, beside
 * {@code walkMissOneUnit}, one thread on one unit. Each unit's 4096-entry IOTLB is cycled over 65536
 * pages, so every lookup misses, walks and fills. The two-thread figure is the sum of both threads;
 * divided by the one-thread figure it is how the units scale (nothing of one unit is on the other's path).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class TwoUnitsBenchmark {
    static final int PAGES = 65536;

    @State(Scope.Benchmark)
    public static class Machine {
        @Param({"vtd", "amdvi"})
        public String arch;
        Rig rig;
        long va;
        final AtomicInteger threads = new AtomicInteger();

        @Setup(Level.Trial)
        public void setUp() {
            rig = new Rig(512L << 20, 4096, arch, true);
            va = rig.committed((long) PAGES * 4096);
        }
    }

    /** A thread's unit (the first thread unit 0, the second unit 1) and its port on it. */
    @State(Scope.Thread)
    public static class Requester {
        TranslationPort port;
        int pasid;
        int next = java.util.concurrent.ThreadLocalRandom.current().nextInt(PAGES);

        @Setup(Level.Trial)
        public void open(Machine m) {
            boolean second = (m.threads.getAndIncrement() & 1) == 1;
            port = (second ? m.rig.iommu1 : m.rig.iommu).openPort();
            pasid = second ? m.rig.pasid1 : m.rig.pasid;
        }

        @TearDown(Level.Trial)
        public void close() {
            port.close();
        }
    }

    @Benchmark
    public long walkMissOneUnit(Machine m, Requester r) {
        r.next = (r.next + 1) & (PAGES - 1);
        return r.port.physicalAddress(r.pasid, m.va + r.next * 4096L, Access.READ);
    }

    @Benchmark
    @Threads(2)
    public long walkMissTwoUnits(Machine m, Requester r) {
        r.next = (r.next + 1) & (PAGES - 1);
        return r.port.physicalAddress(r.pasid, m.va + r.next * 4096L, Access.READ);
    }
}
