package benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import machine.testing.TestMachine;
import os.memmgr.AddressSpace;
import os.memmgr.PageProtection;
import os.memmgr.internal.WindowsMemoryManager;
import vidmm.Allocation;
import vidmm.FenceWait;
import vidmm.internal.VideoMemoryManager;

/**
 * The cost of one operation as the machine grows: 1, 8 and 64 GiB of system memory (with a pagefile
 * as large), and 8, 512 and 4096 live processes, each with a device, a copy context, 16 KiB of
 * GPU-resident memory and a page of its own written. The operations go in turn to the first eight
 * processes (the active ones; the rest hold their memory, devices, contexts and PASIDs, idle, as on
 * a workstation), so that what grows is the model's own cost (a scan of every process, frame or
 * allocation), not the host's cache misses over a working set of thousands of processes: commit and
 * first touch of 64 KiB (then freed), a page out and back in through the pagefile, a process created
 * with a device and destroyed, and a 4 KiB GPU copy on its context. Goal: each cost at the largest
 * machine within 1.5x of the smallest.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
public class ScaleBenchmark {
    /** How many processes the operations visit. */
    static final int ACTIVE = 8;

    @State(Scope.Benchmark)
    public static class World {
        @Param({"1", "8", "64"})
        int memoryGiB;
        @Param({"8", "512", "4096"})
        int processes;

        Path dir;
        TestMachine machine;
        WindowsMemoryManager mm;
        VideoMemoryManager vidmm;
        int[] pids;
        AddressSpace[] spaces;
        long[] contexts;
        Allocation[] buffers;
        /** Per process, a page of its own (not GPU-resident, so not pinned): what pageOutAndIn pages. */
        long[] data;
        int next;
        final byte[] one = {1};

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("scale-bench");
            machine = TestMachine.builder().lockProbe(false).memory((long) memoryGiB << 30)
                    .pagefile(dir.resolve("pagefile.sys"), (long) memoryGiB << 10, 1).sources(1, 64, 48).build();
            mm = machine.os();
            vidmm = machine.vidmm();
            pids = new int[processes];
            spaces = new AddressSpace[processes];
            contexts = new long[processes];
            buffers = new Allocation[processes];
            data = new long[processes];
            for (int i = 0; i < processes; i++) {
                pids[i] = mm.spawn("p" + i);
                spaces[i] = mm.addressSpace(pids[i]);
                long device = vidmm.createDevice(pids[i]);
                contexts[i] = vidmm.createContext(device, EngineNode.COPY, 0);
                buffers[i] = vidmm.allocate(device, 16 * 1024, Set.of());
                vidmm.makeResident(device, List.of(buffers[i].handle()));
                for (int page = 0; page < 4; page++) {
                    spaces[i].write(buffers[i].va() + page * 4096L, one);
                }
                data[i] = spaces[i].allocate(4096, PageProtection.READWRITE);
                spaces[i].write(data[i], one);
            }
            long out = mm.paging().pagesOut();
            pagedOutAndIn(this, 0);
            if (mm.paging().pagesOut() != out + 1) {
                throw new IllegalStateException("pageOutAndIn did not write its page to the pagefile");
            }
        }

        /** The next of the active processes, in turn. */
        int nextIndex() {
            int i = next;
            next = (i + 1) % ACTIVE;
            return i;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            machine.close();
            Files.deleteIfExists(dir);
        }
    }

    /** VirtualAlloc of 64 KiB, a write to each of its 16 pages (a demand-zero fault each), VirtualFree. */
    @Benchmark
    public long commitAndFirstTouch(World w) {
        AddressSpace space = w.spaces[w.nextIndex()];
        long va = space.allocate(64 * 1024, PageProtection.READWRITE);
        for (int page = 0; page < 16; page++) {
            space.write(va + page * 4096L, w.one);
        }
        space.release(va);
        return va;
    }

    /**
     * The process's data page dirtied, trimmed to the pagefile (its GPU-resident buffer is pinned, so
     * the trim takes that page), and read back by a CPU fault.
     */
    @Benchmark
    public byte pageOutAndIn(World w) {
        return pagedOutAndIn(w, w.nextIndex());
    }

    static byte pagedOutAndIn(World w, int i) {
        AddressSpace space = w.spaces[i];
        space.write(w.data[i], w.one);
        w.mm.trim(w.pids[i], 1);
        return space.read(w.data[i], 1)[0];
    }

    /** A process spawned, a device created on the adapter (its PASID bound), and the process killed (all of it gone). */
    @Benchmark
    public int createAndDestroyProcessWithDevice(World w) {
        int pid = w.mm.spawn("short");
        w.vidmm.createDevice(pid);
        w.mm.kill(pid);
        return pid;
    }

    /** A 4 KiB copy within the process's buffer on its copy context, submitted and waited for. */
    @Benchmark
    public FenceWait gpuCopy4KiB(World w) {
        int i = w.nextIndex();
        Allocation b = w.buffers[i];
        long fence = w.vidmm.submit(w.contexts[i], List.of(new DmaCommand.Copy(b.va(), b.va() + 8192, 4096)));
        return w.vidmm.waitForFence(w.contexts[i], fence, 10_000);
    }
}
