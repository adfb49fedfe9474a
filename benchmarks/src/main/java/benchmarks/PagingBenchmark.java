package benchmarks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import machine.testing.TestMachine;
import os.memmgr.AddressSpace;
import os.memmgr.PageProtection;
import os.memmgr.internal.WindowsMemoryManager;

/**
 * A page's round trip through the pagefile: dirtied by the CPU, trimmed (PTE to transition, IOMMU
 * invalidated, written to its slot, frame freed) and read back by a CPU fault (a frame, the read,
 * the PTE); per page, beside a raw 4 KiB FileChannel write and read of the same slot.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class PagingBenchmark {
    static final int PAGES = 64;

    @State(Scope.Thread)
    public static class Machine {
        Path dir;
        TestMachine machine;
        WindowsMemoryManager mm;
        int pid;
        AddressSpace space;
        long va;
        FileChannel raw;
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        byte[] one = {1};

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("paging-bench");
            machine = TestMachine.builder().lockProbe(false).pagefile(dir.resolve("pagefile.sys"), 256, 1).noDriver().build();
            mm = machine.os();
            pid = mm.spawn("bench");
            mm.bindIommu(pid, 0);
            space = mm.addressSpace(pid);
            va = space.allocate(PAGES * 4096L, PageProtection.READWRITE);
            raw = FileChannel.open(dir.resolve("raw.bin"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            machine.close();
            raw.close();
            Files.deleteIfExists(dir.resolve("raw.bin"));
            Files.deleteIfExists(dir);
        }
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long pageOutAndPageInPerPage(Machine m) {
        for (int i = 0; i < PAGES; i++) {
            m.space.write(m.va + i * 4096L, m.one); // dirty: the trim must write it
        }
        long out = m.mm.trim(m.pid, PAGES);
        for (int i = 0; i < PAGES; i++) {
            m.space.read(m.va + i * 4096L, 1); // a CPU fault pages it in
        }
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long baselineRawFileChannelWriteAndRead4KiB(Machine m) throws IOException {
        long n = 0;
        for (int i = 0; i < PAGES; i++) {
            m.buffer.clear();
            n += m.raw.write(m.buffer, i * 4096L);
            m.buffer.clear();
            n += m.raw.read(m.buffer, i * 4096L);
        }
        return n;
    }
}
