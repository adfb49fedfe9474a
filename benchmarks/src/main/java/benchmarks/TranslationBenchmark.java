package benchmarks;

import java.util.concurrent.ConcurrentHashMap;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import gpu.hw.internal.DeviceTlbAccess;
import iommu.hw.Access;
import iommu.hw.Translation;
import iommu.hw.TranslationPort;

/**
 * One translation: an IOTLB hit (4096 warm pages) beside a {@link ConcurrentHashMap} get of the same
 * page number, and a page-walk miss (a 4096-entry IOTLB cycled over 65536 pages, so every lookup
 * misses, walks and fills) beside the hit. Each also with two threads, each thread starting at its
 * own random page, to show how lookups scale.
 *
 * <p>{@code iotlbHit} and {@code pageWalkMiss} go through a {@link TranslationPort} per thread, the path a
 * DMA engine uses (a physical address back, nothing allocated, counts kept by the port);
 * {@code iotlbHitTranslateValue} is the same hit through {@code Iommu.translate}, which returns a
 * {@code Translation} and counts in the unit.
 *
 * <p>The GPU's own device TLB (ATS): {@code deviceTlbHit} looks up a warm page in it (65536 slots, 4096
 * pages cached); {@code deviceTlbMiss} cycles a 4096-slot device TLB over the cold 65536 pages, so every
 * lookup misses and makes a translation request to the unit, which misses its IOTLB and walks.
 *
 * <p>Every figure is measured on VT-d units and on AMD-Vi units ({@code arch}): the walk finds the PML4
 * through the architecture's own caches (VT-d's context and PASID caches, AMD-Vi's DTE and GCR3 caches).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class TranslationBenchmark {
    static final int PAGES = 4096;
    static final int COLD_PAGES = 65536;

    @State(Scope.Benchmark)
    public static class Machine {
        /** The units' architecture: the neutral unit with VT-d's tables, or with AMD-Vi's. */
        @Param({"vtd", "amdvi"})
        public String arch;
        Rig warm;
        Rig cold;
        long warmVa;
        long coldVa;
        /** The rigs' PASIDs in fields of their own, as the baseline's map is. */
        int warmPasid;
        int coldPasid;
        ConcurrentHashMap<Long, Long> map = new ConcurrentHashMap<>();
        /** The page numbers, boxed once, so that the baseline measures the lookup and not boxing. */
        Long[] keys = new Long[PAGES];
        DeviceTlbAccess warmDeviceTlb;
        DeviceTlbAccess coldDeviceTlb;

        @Setup(Level.Trial)
        public void setUp() {
            warm = new Rig(256L << 20, 65536, arch, false);
            warmVa = warm.committed((long) PAGES * 4096);
            cold = new Rig(512L << 20, 4096, arch, false);
            coldVa = cold.committed((long) COLD_PAGES * 4096);
            warmPasid = warm.pasid;
            coldPasid = cold.pasid;
            for (int i = 0; i < PAGES; i++) {
                long page = (warmVa >>> 12) + i;
                keys[i] = page;
                map.put(page, page + 0x10_0000);
                warm.iommu.translate(warm.pasid, warmVa + i * 4096L, Access.READ);
            }
            warmDeviceTlb = new DeviceTlbAccess(warm.iommu, 65536);
            for (int i = 0; i < PAGES; i++) {
                warmDeviceTlb.translate(warmPasid, warmVa + i * 4096L);
            }
            coldDeviceTlb = new DeviceTlbAccess(cold.iommu, 4096);
        }
    }

    /** Each thread walks its own sequence of pages, from its own random start, through its own ports. */
    @State(Scope.Thread)
    public static class Cursor {
        int next = java.util.concurrent.ThreadLocalRandom.current().nextInt(COLD_PAGES);
        TranslationPort warmPort;
        TranslationPort coldPort;

        @Setup(Level.Trial)
        public void open(Machine m) {
            warmPort = m.warm.iommu.openPort();
            coldPort = m.cold.iommu.openPort();
        }

        @TearDown(Level.Trial)
        public void close() {
            warmPort.close();
            coldPort.close();
        }

        int step() {
            next = (next + 1) & (PAGES - 1);
            return next;
        }

        int coldStep() {
            next = (next + 1) & (COLD_PAGES - 1);
            return next;
        }
    }

    @Benchmark
    public long iotlbHit(Machine m, Cursor c) {
        return c.warmPort.physicalAddress(m.warmPasid, m.warmVa + c.step() * 4096L, Access.READ);
    }

    @Benchmark
    public Translation iotlbHitTranslateValue(Machine m, Cursor c) {
        return m.warm.iommu.translate(m.warmPasid, m.warmVa + c.step() * 4096L, Access.READ);
    }

    @Benchmark
    public long deviceTlbHit(Machine m, Cursor c) {
        return m.warmDeviceTlb.lookup(m.warmPasid, m.warmVa + c.step() * 4096L);
    }

    @Benchmark
    public long deviceTlbMiss(Machine m, Cursor c) {
        return m.coldDeviceTlb.translate(m.coldPasid, m.coldVa + c.coldStep() * 4096L);
    }

    @Benchmark
    public Long baselineConcurrentHashMapGet(Machine m, Cursor c) {
        return m.map.get(m.keys[c.step()]);
    }

    @Benchmark
    public long pageWalkMiss(Machine m, Cursor c) {
        return c.coldPort.physicalAddress(m.coldPasid, m.coldVa + c.coldStep() * 4096L, Access.READ);
    }

    @Benchmark
    @Threads(2)
    public long iotlbHitTwoThreads(Machine m, Cursor c) {
        return c.warmPort.physicalAddress(m.warmPasid, m.warmVa + c.step() * 4096L, Access.READ);
    }

    @Benchmark
    @Threads(2)
    public Long baselineConcurrentHashMapGetTwoThreads(Machine m, Cursor c) {
        return m.map.get(m.keys[c.step()]);
    }

    @Benchmark
    @Threads(2)
    public long pageWalkMissTwoThreads(Machine m, Cursor c) {
        return c.coldPort.physicalAddress(m.coldPasid, m.coldVa + c.coldStep() * 4096L, Access.READ);
    }
}
