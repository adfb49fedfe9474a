package workloads.internal;

import kmd.reference.internal.ReferenceFixture;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.io.TempDir;

import gpu.hw.internal.SimulatedGpu;
import iommu.hw.internal.IommuUnit;
import kmd.api.DisplayDriver;
import kmd.api.KernelModeDriver;
import kmd.api.VidMmCaps;
import kmd.reference.internal.ReferenceKmd;
import os.memmgr.AddressSpace;
import os.memmgr.FrameCounts;
import os.memmgr.PageProtection;
import os.memmgr.ProcessInfo;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import umd.api.Resource;
import umd.api.UmdDevice;
import umd.api.WaitResult;
import umd.reference.internal.ReferenceUmd;
import vidmm.VidMmEvents;
import vidmm.internal.VidMmThunks;
import vidmm.internal.VideoMemoryManager;

/**
 * Everything at once, seeded: processes allocate, write, submit on both engines, present and exit,
 * while a chaos thread trims working sets, swaps drivers in and out, restarts the UMD and injects GPU
 * faults, submissions that never complete (TdrDelay) and DDIs that never return (TdrDdiDelay), on a
 * machine small enough to page. Every page a process writes carries its pid as a tag: a
 * read of another process's tag breaks isolation. When the chaos stops, every aperture page maps the
 * dummy page or a displayed primary's frame (no unmap was lost, none refused during VidMm's own
 * exclusive access). Then every process is killed and frames,
 * PASIDs, allocations and pagefile slots must all be back; every second the frame accounting and the
 * commit charge are checked while everything runs. Default run: 4 seconds; {@code -Psoak} runs it
 * for 10 minutes ({@code -Dchaos.seconds=N} for any other length, {@code -Dchaos.seed=N} to replay).
 * It prints one summary line.
 */
class ChaosSoakTest {
    static final int PAGE = 4096;
    static final int BUFFER = 64 * 1024;

    @TempDir
    Path dir;

    final AtomicLong ops = new AtomicLong();
    final AtomicLong submissions = new AtomicLong();
    final AtomicLong faultsInjected = new AtomicLong();
    final AtomicLong disrupted = new AtomicLong();
    final AtomicLong swaps = new AtomicLong();
    final AtomicLong umdRestarts = new AtomicLong();
    final AtomicLong trims = new AtomicLong();
    final AtomicLong checks = new AtomicLong();
    final AtomicLong timeoutsInjected = new AtomicLong();
    final AtomicLong hangsInjected = new AtomicLong();
    final AtomicLong recoveries = new AtomicLong();
    /** Released at the end, so the DDI threads of hung drivers end too. */
    final java.util.concurrent.CountDownLatch forever = new java.util.concurrent.CountDownLatch(1);
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    volatile ReferenceUmd umd;
    /** The command lists the faulty driver swallowed, by identity. */
    final java.util.Set<Object> swallowed = java.util.Collections.synchronizedSet(
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()));
    /** A render and a copy context of one device submitting without waiting, the fence invariants checked as they complete. */
    final ContextChaos contexts = new ContextChaos(failures, swallowed::contains);

    /** Once on VT-d units and once on AMD-Vi units, each for {@code chaos.seconds}. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"vtd", "amdvi"})
    void everythingAtOnceKeepsIsolationAndReturnsEveryFrame(String arch) throws Exception {
        long seconds = Long.getLong("chaos.seconds", 4);
        long seed = Long.getLong("chaos.seed", System.nanoTime());
        org.osgi.service.event.EventAdmin counter = new org.osgi.service.event.EventAdmin() {
            @Override
            public void postEvent(org.osgi.service.event.Event event) {
                if (event.getTopic().equals(VidMmEvents.TIMEOUT)) {
                    recoveries.incrementAndGet();
                }
            }

            @Override
            public void sendEvent(org.osgi.service.event.Event event) {
                postEvent(event);
            }
        };
        TestMachine wired = TestMachine.builder().arch(arch).memory(48L << 20).iommu(4096, 256)
                .pagefile(dir.resolve("pagefile.sys"), 256, 2).aperturePages(65536)
                .reference(TestMachine.IOMMU, 16L << 20).budget(8L << 20).tdr(300, 300).events(counter).build();
        IommuUnit iommu = wired.iommu();
        WindowsMemoryManager mm = wired.os();
        SimulatedGpu gpu = wired.gpu();
        VideoMemoryManager vidmm = wired.vidmm();
        VidMmCaps caps = TestMachine.IOMMU;
        FrameCounts start = mm.frames();
        VidMmThunks thunks = wired.thunks();
        umd = new ReferenceUmd(thunks);
        long deadline = System.currentTimeMillis() + seconds * 1000;
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            Random rnd = new Random(seed + w);
            threads.add(new Thread(() -> {
                while (System.currentTimeMillis() < deadline && failures.isEmpty()) {
                    process(mm, rnd);
                }
            }, "chaos-process-" + w));
        }
        Random contextRnd = new Random(seed + 100);
        threads.add(new Thread(() -> {
            while (System.currentTimeMillis() < deadline && failures.isEmpty()) {
                contexts.process(mm, vidmm, contextRnd);
            }
        }, "chaos-contexts"));
        Random chaosRnd = new Random(seed - 1);
        threads.add(new Thread(() -> {
            KernelModeDriver better = null;
            DisplayDriver betterService = null;
            Faults betterFaults = null;
            long nextCheck = System.currentTimeMillis() + 1000;
            while (System.currentTimeMillis() < deadline && failures.isEmpty()) {
                try {
                    Thread.sleep(20 + chaosRnd.nextInt(80));
                    switch (chaosRnd.nextInt(6)) {
                        case 0 -> {
                            List<ProcessInfo> ps = mm.processes();
                            if (!ps.isEmpty()) {
                                try {
                                    mm.trim(ps.get(chaosRnd.nextInt(ps.size())).pid(), 1 + chaosRnd.nextInt(64));
                                    trims.incrementAndGet();
                                } catch (os.memmgr.MemoryException exited) {
                                    // the process ended between the list and the trim
                                }
                            }
                        }
                        case 1 -> {
                            if (better == null) {
                                betterFaults = new Faults();
                                better = faulty(ReferenceFixture.kmd(gpu, caps, 16L << 20), betterFaults);
                                betterService = wired.offer(better, 1000L + swaps.get(), 5, "better");
                            } else {
                                wired.withdraw(betterService);
                                better = null;
                            }
                            swaps.incrementAndGet();
                        }
                        case 3 -> { // the better driver (when attached) swallows its next submission: a timeout
                            if (betterFaults != null) {
                                betterFaults.stall.set(true);
                            }
                        }
                        case 4 -> { // now and then, the better driver never returns from its next DDI
                            if (betterFaults != null && chaosRnd.nextInt(4) == 0) {
                                betterFaults.hang.set(true);
                            }
                        }
                        case 2 -> {
                            ReferenceUmd old = umd;
                            umd = new ReferenceUmd(thunks);
                            old.removeDevices();
                            umdRestarts.incrementAndGet();
                        }
                        default -> { } // quiet: let the processes run
                    }
                    if (System.currentTimeMillis() > nextCheck) { // isolation is checked by every process on every read
                        FrameCounts c = mm.frames();
                        var paging = mm.paging();
                        if (c.free() + c.privateFrames() + c.shared() + c.pageTables() + c.iommuTables() + c.reserved() + c.transition()
                                != c.total()
                                || paging.commitCharge() > paging.commitLimit() || paging.slotsUsed() > paging.slots()) {
                            failures.add("accounting: " + c + ", " + paging);
                        }
                        checks.incrementAndGet();
                        nextCheck += 1000;
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    failures.add("chaos: " + e);
                }
            }
        }, "chaos"));
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(seconds * 1000 + 120_000);
            assertTrue(!t.isAlive(), t.getName() + " is stuck");
        }
        forever.countDown();
        failures.addAll(wired.apertureViolations()); // quiet now: every unmap issued and its release done
        checks.incrementAndGet();
        for (ProcessInfo p : mm.processes()) {
            mm.kill(p.pid());
        }
        checks.incrementAndGet();
        boolean balanced = start.equals(mm.frames()) && iommu.boundPasids().isEmpty() && vidmm.allocations().isEmpty()
                && mm.paging().slotsUsed() == 0 && mm.paging().commitCharge() == 0;
        String summary = String.format("chaos (" + arch + ", seed %d, %d s): operations %d, submissions %d, faults injected %d"
                        + " (engine resets among the last 256 logged: %d), submissions never completed %d, DDIs never returned %d,"
                        + " TDR recoveries %d, disrupted calls %d, swaps %d, UMD restarts %d, trims %d, pages out %d,"
                        + " page requests %d, invariant checks %d, context submissions %d (fences checked against their"
                        + " bytes %d, lost by the faulty driver %d, disrupted %d), failures %d", seed, seconds, ops.get(), submissions.get(),
                faultsInjected.get(), vidmm.faults().stream().filter(f -> f.outcome().startsWith("engine reset")).count(),
                timeoutsInjected.get(), hangsInjected.get(), recoveries.get(), disrupted.get(), swaps.get(),
                umdRestarts.get(), trims.get(), mm.paging().pagesOut(), iommu.stats().pageRequests(), checks.get(),
                contexts.submissions.get(), contexts.fencesChecked.get(), contexts.lostByDriver.get(), contexts.disrupted.get(),
                failures.size() + (balanced ? 0 : 1));
        System.out.println(summary);
        wired.close();
        assertTrue(failures.isEmpty(), summary + "\n" + String.join("\n", failures));
        assertTrue(balanced, "after every exit: " + mm.frames() + " vs " + start + ", PASIDs " + iommu.boundPasids());
    }

    /** What the chaos thread tells the better driver to do wrong next; counted when the driver does it. */
    static final class Faults {
        final java.util.concurrent.atomic.AtomicBoolean stall = new java.util.concurrent.atomic.AtomicBoolean();
        final java.util.concurrent.atomic.AtomicBoolean hang = new java.util.concurrent.atomic.AtomicBoolean();
    }

    /**
     * {@code kmd}, but swallowing a submission when told to stall, and never returning from a DDI when
     * told to hang; a call it refuses because it is in exclusive access is a failure, since only VidMm
     * takes that access and it may not call what it suspended.
     */
    KernelModeDriver faulty(KernelModeDriver kmd, Faults faults) {
        return (KernelModeDriver) java.lang.reflect.Proxy.newProxyInstance(KernelModeDriver.class.getClassLoader(),
                new Class<?>[] {KernelModeDriver.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.invoke(kmd, args);
                    }
                    if (faults.hang.compareAndSet(true, false)) {
                        hangsInjected.incrementAndGet();
                        forever.await();
                    }
                    if (method.getName().equals("submitCommand") && faults.stall.compareAndSet(true, false)) {
                        timeoutsInjected.incrementAndGet();
                        swallowed.add(args[1]);
                        return null; // its fence never completes: TDR
                    }
                    try {
                        return method.invoke(kmd, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        if (String.valueOf(e.getCause().getMessage()).contains("during exclusive access")) {
                            failures.add("VidMm called " + method.getName() + " during its own exclusive access: "
                                    + e.getCause().getMessage());
                        }
                        throw e.getCause();
                    }
                });
    }

    static byte[] tagged(int pid, long sequence) {
        ByteBuffer b = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
        for (int page = 0; page < BUFFER / PAGE; page++) {
            b.putInt(page * PAGE, pid).putLong(page * PAGE + 4, sequence);
        }
        return b.array();
    }

    /** Every page's tag is 0 (never written) or {@code pid}: anything else is another process's data. */
    void checkTags(String where, int pid, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int page = 0; page < bytes.length / PAGE; page++) {
            int tag = b.getInt(page * PAGE);
            if (tag != 0 && tag != pid) {
                failures.add(where + ": process " + pid + " read process " + tag + "'s tag in page " + page);
            }
        }
    }

    /** One process's life: buffers written by the CPU, copied and filled by the GPU, read back, maybe a fault, exit. */
    void process(WindowsMemoryManager mm, Random rnd) {
        int pid = mm.spawn("chaos");
        AddressSpace cpu = mm.addressSpace(pid);
        try {
            UmdDevice device = umd.createDevice(pid);
            Resource a = device.createBuffer(BUFFER, false);
            Resource b = device.createBuffer(BUFFER, false);
            long heap = cpu.allocate(BUFFER, PageProtection.READWRITE);
            for (int round = 0; round < 1 + rnd.nextInt(6); round++) {
                ops.incrementAndGet();
                cpu.write(a.va(), tagged(pid, round));
                cpu.write(heap, tagged(pid, round));
                Resource heapView = device.openExistingHeapFromAddress(heap, BUFFER);
                var list = device.createCommandList().copy(a, 0, b, 0, BUFFER).fill(b, PAGE - 64, 32, rnd.nextInt())
                        .copy(heapView, 0, a, 0, BUFFER);
                long fence = device.submit(list);
                submissions.incrementAndGet();
                if (device.waitForFence(fence, 10_000) != WaitResult.COMPLETED) {
                    disrupted.incrementAndGet();
                    break;
                }
                checkTags("CPU read of B after the GPU copy", pid, cpu.read(b.va(), BUFFER));
                checkTags("CPU read of A after the GPU copy", pid, cpu.read(a.va(), BUFFER));
                if (rnd.nextInt(8) == 0) { // an injected GPU fault: a write to a page made read-only
                    cpu.protect(heap, PAGE, PageProtection.READONLY);
                    faultsInjected.incrementAndGet();
                    long bad = device.submit(device.createCommandList().fill(heapView, 0, 16, 0x5A5A5A5A));
                    device.waitForFence(bad, 10_000);
                    break; // the device is in error now: this process is done with the GPU
                }
                if (rnd.nextInt(5) == 0) {
                    Resource primary = device.createPrimary(rnd.nextInt(2));
                    device.submit(device.createCommandList().fillRect(primary, 0, 0, 64, 48, 0xFF000000 | pid));
                    device.present(primary);
                    ops.incrementAndGet();
                }
            }
        } catch (RuntimeException disruption) {
            // a swap, a UMD restart or an injected fault met mid-way: the process ends, as an application would
            disrupted.incrementAndGet();
            String m = String.valueOf(disruption.getMessage());
            if (m.contains("NullPointer") || disruption instanceof NullPointerException
                    || disruption instanceof IndexOutOfBoundsException || disruption instanceof ClassCastException) {
                failures.add("process " + pid + ": " + disruption);
            }
        } finally {
            mm.kill(pid);
        }
    }
}
