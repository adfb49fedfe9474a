package benchmarks;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import os.memmgr.AddressSpace;
import os.memmgr.PageProtection;

/**
 * The cost of a page's first touch: commit (with its commit charge), the CPU's first write (a
 * demand-zero fault: a frame, a PTE, the working set), and the release that gives it back; per page,
 * beside zero-filling a plain 4 KiB array; and, to read the figure by, two yardsticks: what one atomic
 * update that no other thread contends costs on this host (a page's cycle makes several: its locks,
 * the frame's written bit set and cleared, the PTE taken back), and what the cycle's frames cost with
 * none of the OS's records ({@link #floorFrameTraffic}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class FirstTouchBenchmark {
    static final int PAGES = 256;

    @State(Scope.Thread)
    public static class Machine {
        Rig rig;
        AddressSpace space;
        byte[] one = {1};
        byte[] page = new byte[4096];
        AtomicLong word = new AtomicLong();
        /** As many frames as the cycle has live, contiguous as the LIFO free list hands them out. */
        byte[] frames = new byte[PAGES * 4096];

        @Setup(Level.Trial)
        public void setUp() {
            rig = new Rig(256L << 20, 4096);
            space = rig.space;
        }
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long commitFirstWriteAndReleasePerPage(Machine m) {
        long va = m.space.allocate((long) PAGES * 4096, PageProtection.READWRITE);
        for (int i = 0; i < PAGES; i++) {
            m.space.write(va + i * 4096L, m.one);
        }
        m.space.release(va);
        return va;
    }

    @Benchmark
    public long floorUncontendedCompareAndSet(Machine m) {
        long v = m.word.get();
        m.word.compareAndSet(v, v + 1);
        return v;
    }

    /**
     * The memory traffic of the cycle's frames alone, per page: one byte written into each of
     * {@link #PAGES} frames in turn, then each frame zeroed, as a release zeroes them. The baseline
     * fills one array that stays in the nearest cache; the cycle's frames span 1 MiB and cannot.
     */
    @Benchmark
    @OperationsPerInvocation(PAGES)
    public byte[] floorFrameTraffic(Machine m) {
        byte[] frames = m.frames;
        for (int i = 0; i < PAGES; i++) {
            frames[i << 12] = 1;
        }
        for (int i = 0; i < PAGES; i++) {
            Arrays.fill(frames, i << 12, (i + 1) << 12, (byte) 0);
        }
        return frames;
    }

    @Benchmark
    public byte[] baselineZeroFill4KiB(Machine m) {
        Arrays.fill(m.page, (byte) 0);
        return m.page;
    }
}
