package workloads.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import gpu.hw.internal.SimulatedGpu;
import iommu.hw.internal.IommuUnit;
import os.memmgr.FrameCounts;
import os.memmgr.ProcessInfo;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import umd.reference.internal.ReferenceUmd;

/**
 * Fail the Nth pagefile I/O (a write of a page going out, or a read of one coming back) of the
 * oversubscribe scenario, for N = 1, 2, ... until the scenario runs through: each time the failure
 * reaches the scenario as an error naming it (or is absorbed: a failed write keeps the page
 * resident), nothing hangs, and ending every process returns every frame, PASID, pagefile slot and
 * commit. The default run tries N = 1..32 and then every 97th; {@code -Dfailnth.every=1} (the soak
 * profile) tries every N.
 */
class FailNthPagefileTest {
    static final Map<String, String> SCENARIO = Map.of("processes", "2", "factor", "2", "seed", "7");

    @TempDir
    Path dir;

    @Test
    void everyPagefileIoOfOversubscribeCanFailCleanly() throws Exception {
        int stride = Integer.getInteger("failnth.every", 97);
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try {
            long ios = runOnce(runner, 0); // how many pagefile operations a clean run makes
            assertTrue(ios > 0, "the scenario pages: it used the pagefile");
            int failed = 0;
            for (long n = 1; n <= ios; n = n < 32 ? n + 1 : n + stride) {
                if (runOnce(runner, n) < n) {
                    break; // ran through: the failure came too late to matter
                }
                failed++;
            }
            assertTrue(failed > 0, "no injected failure was met");
        } finally {
            runner.shutdownNow();
        }
    }

    /**
     * Runs oversubscribe with pagefile I/O {@code n} failing (0: none); checks that the run ends with a
     * named error or runs through, and that everything comes back. Returns the I/O operations made.
     */
    long runOnce(ExecutorService runner, long n) throws Exception {
        AtomicLong ios = new AtomicLong();
        TestMachine wired = TestMachine.builder().memory(8L << 20)
                .pagefile(dir.resolve("pagefile" + n + ".sys"), 64, 2, op -> ios.incrementAndGet() == n)
                .aperturePages(65536).sources(1, 64, 48).reference(TestMachine.IOMMU, 16L << 20).build();
        IommuUnit iommu = wired.iommu();
        WindowsMemoryManager mm = wired.os();
        SimulatedGpu gpu = wired.gpu();
        FrameCounts start = mm.frames();
        Machine machine = new Machine(mm, new ReferenceUmd(wired.thunks()), gpu, iommu);
        String what = "oversubscribe with pagefile I/O " + n + " failing";
        try {
            Future<?> run = runner.submit(() -> {
                new OversubscribeScenario().run(machine, SCENARIO, new Report(mm.frames()));
                return null;
            });
            try {
                run.get(60, TimeUnit.SECONDS);
            } catch (TimeoutException stuck) {
                run.cancel(true);
                fail(what + " did not finish within 60 s");
            } catch (java.util.concurrent.ExecutionException error) {
                String message = error.getCause().getMessage();
                assertNotNull(message, what + ": an error without a message");
                assertTrue(!message.contains("\n"), what + ": a one-line error, not " + message);
                assertTrue(n > 0, "the clean run failed: " + message);
            }
            for (ProcessInfo p : mm.processes()) {
                mm.kill(p.pid());
            }
            assertEquals(start, mm.frames(), what + ": every frame comes back");
            assertTrue(iommu.boundPasids().isEmpty(), what + ": every PASID comes back");
            assertEquals(0, mm.paging().slotsUsed(), what + ": every pagefile slot comes back");
            assertEquals(0, mm.paging().commitCharge(), what + ": the commit charge is back to 0");
            assertTrue(n == 0 || ios.get() < n || mm.paging().ioErrors() == 1, what + ": the failure was counted");
        } finally {
            wired.close();
        }
        return ios.get();
    }
}
