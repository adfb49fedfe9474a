package benchmarks;

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
import org.openjdk.jmh.annotations.Warmup;

import iommu.hw.DmaResult;

/**
 * DMA copy of 64 MiB through the IOMMU with a warm IOTLB, beside plain copies of the same bytes: page
 * by page (16384 {@code System.arraycopy} calls of 4 KiB, the granularity a DMA engine works at), and
 * in one call (which the JIT turns into a streaming copy no page-granular copy can use); and beside a
 * copy of the same physical frames with no translation. Copies per second; times 64 MiB is bandwidth.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class DmaBenchmark {
    static final int BYTES = 64 << 20;

    @State(Scope.Benchmark)
    public static class Machine {
        /** The unit's architecture (only a miss reads its tables; a warm copy should not notice it). */
        @org.openjdk.jmh.annotations.Param({"vtd", "amdvi"})
        public String arch;
        Rig rig;
        long src;
        long dst;
        long srcPa;
        long dstPa;
        long largeSrc;
        long largeDst;
        byte[] plainSrc;
        byte[] plainDst;

        @Setup(Level.Trial)
        public void setUp() {
            rig = new Rig(1L << 30, 65536, arch, false);
            src = rig.committed(BYTES);
            dst = rig.committed(BYTES);
            if (!rig.iommu.copy(rig.pasid, src, dst, BYTES).completed()) {
                throw new IllegalStateException("warm-up copy faulted");
            }
            largeSrc = rig.committedLarge(BYTES);
            largeDst = rig.committedLarge(BYTES);
            srcPa = 512L << 20;
            dstPa = srcPa + BYTES;
            byte[] page = new byte[4096];
            for (long off = 0; off < BYTES; off += 4096) {
                page[0] = (byte) (off >>> 12);
                rig.memory.write(srcPa + off, page, 0, page.length);
                rig.memory.write(dstPa + off, page, 0, page.length);
            }
            plainSrc = new byte[BYTES];
            plainDst = new byte[BYTES];
            java.util.Arrays.fill(plainSrc, (byte) 7);
        }
    }

    @Benchmark
    public DmaResult dmaCopyThroughIommu(Machine m) {
        return m.rig.iommu.copy(m.rig.pasid, m.src, m.dst, BYTES);
    }

    /** The same copy over 2 MiB pages (MEM_LARGE_PAGES): one translation per 2 MiB instead of per 4 KiB. */
    @Benchmark
    public DmaResult dmaCopyLargePages(Machine m) {
        return m.rig.iommu.copy(m.rig.pasid, m.largeSrc, m.largeDst, BYTES);
    }

    @Benchmark
    public byte[] baselinePlainArrayCopy(Machine m) {
        System.arraycopy(m.plainSrc, 0, m.plainDst, 0, BYTES);
        return m.plainDst;
    }

    @Benchmark
    public byte[] baselinePlainPageCopies(Machine m) {
        return Baselines.pageCopies(m.plainSrc, m.plainDst, BYTES);
    }

    @Benchmark
    @Threads(2)
    public byte[] baselinePlainPageCopiesTwoThreads(Machine m) {
        return baselinePlainPageCopies(m);
    }

    @Benchmark
    public long baselinePhysicalCopyNoTranslation(Machine m) {
        m.rig.memory.copy(m.srcPa, m.dstPa, BYTES);
        return m.dstPa;
    }

    /** Two DMA engines copying concurrently (the same buffers): total copies per second. */
    @Benchmark
    @Threads(2)
    public DmaResult dmaCopyThroughIommuTwoThreads(Machine m) {
        return m.rig.iommu.copy(m.rig.pasid, m.src, m.dst, BYTES);
    }
}
