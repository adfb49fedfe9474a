package benchmarks;

import iommu.hw.internal.IommuFixture;
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
import org.openjdk.jmh.annotations.Warmup;

import iommu.hw.internal.DirectInvalidation;
import iommu.hw.internal.IommuUnit;
import iommu.hw.internal.LazySystemMemory;
import iommu.hw.vtd.VtdDriver;

/**
 * The invalidation of one page's translation, as an unmap makes it: through the unit's invalidation
 * queue ({@code invalidateOnePageThroughQueue}: the OS's driver writes a PASID-based IOTLB descriptor,
 * the device-TLB descriptor after it and a wait, moves the tail, and checks the wait's status write)
 * beside the direct call the unit had before its queue ({@code baselineDirectInvalidation}: the range
 * dropped from an IOTLB of the same size, the requests in flight waited out); and, to read the figure
 * by, what one monitor that no other thread wants costs on this host ({@code floorUncontendedMonitor}:
 * the queue's path takes two that the direct call does not, the driver's and the queue's).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class InvalidationBenchmark {
    static final int PASID = 5;
    static final long VA = 0x7000_0000L;

    @State(Scope.Benchmark)
    public static class Machine {
        VtdDriver driver;
        DirectInvalidation direct;
        final Object monitor = new Object();
        long entered;

        @Setup(Level.Trial)
        public void setUp() {
            LazySystemMemory memory = IommuFixture.memory(64L << 20);
            IommuUnit unit = IommuFixture.unit(memory, 0, 4096, 64, 4);
            long[] next = {1};
            driver = new VtdDriver(unit, memory, new VtdDriver.Frames() {
                @Override
                public long allocate() {
                    return next[0]++ << 12;
                }

                @Override
                public void free(long address) {
                }
            });
            driver.bind(PASID, next[0]++ << 12); // an empty PML4: the invalidation does not walk
            direct = new DirectInvalidation(4096);
        }
    }

    @Benchmark
    public void invalidateOnePageThroughQueue(Machine m) {
        m.driver.invalidate(PASID, VA, 4096);
    }

    @Benchmark
    public void baselineDirectInvalidation(Machine m) {
        m.direct.invalidate(PASID, VA, 4096);
    }

    @Benchmark
    public long floorUncontendedMonitor(Machine m) {
        synchronized (m.monitor) {
            return ++m.entered;
        }
    }
}
