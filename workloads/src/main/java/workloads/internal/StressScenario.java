package workloads.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import os.memmgr.FrameCounts;
import umd.api.Resource;
import umd.api.UmdDevice;
import umd.api.WaitResult;

/** Many processes allocate, submit and exit concurrently; afterwards every frame and PASID is back. */
final class StressScenario implements Scenario {
    @Override
    public String name() {
        return "stress";
    }

    /** The most processes a run takes: the workstation scale (at most 4 run at once, each one after another). */
    static final int MAX_PROCESSES = 4096;

    @Override
    public String description() {
        return "many processes allocate, submit and exit at once; every frame and PASID comes back [processes=8 rounds=20 seed=N]";
    }

    @Override
    public java.util.Set<String> options() {
        return java.util.Set.of("processes", "rounds", "seed");
    }

    @Override
    public void run(Machine machine, Map<String, String> options, Report report) throws Exception {
        int processes = Machine.intOption(options, "processes", 8, 1, MAX_PROCESSES);
        int rounds = Machine.intOption(options, "rounds", 20, 1, 10_000);
        long seed = options.containsKey("seed") ? Machine.longOption(options, "seed") : System.nanoTime();
        FrameCounts before = machine.os().frames();
        AtomicInteger allocations = new AtomicInteger();
        List<Integer> pasids = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(processes, 4));
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int p = 0; p < processes; p++) {
                Random rnd = new Random(seed + p);
                work.add(pool.submit(() -> {
                    one(machine, rnd, rounds, allocations, pasids, report);
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        FrameCounts after = machine.os().frames();
        boolean pasidsBack = pasids.stream().noneMatch(machine.iommu().boundPasids()::containsKey);
        java.util.TreeSet<Integer> used = new java.util.TreeSet<>(pasids);
        report.add(processes + " processes x " + rounds + " submissions (seed " + seed + "), " + allocations.get()
                + " allocations, PASIDs used " + (used.size() <= 16 ? used.toString()
                : used.size() + " distinct, " + used.first() + ".." + used.last()));
        report.add("frames " + (after.equals(before) ? "balanced" : "NOT balanced: before " + before + ", after " + after)
                + "; PASIDs " + (pasidsBack ? "all unbound" : "STILL BOUND"));
        if (!after.equals(before) || !pasidsBack) {
            throw new IllegalStateException("stress leaked: " + report);
        }
    }

    private static void one(Machine machine, Random rnd, int rounds, AtomicInteger allocations, List<Integer> pasids,
                            Report report) {
        int pid = machine.os().spawn("stress");
        try (UmdDevice device = machine.umd().createDevice(pid)) {
            pasids.add(machine.pasidOn(pid, machine.display().iommuUnit()));
            List<Resource> buffers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                buffers.add(device.createBuffer(64 * 1024 * (1 + rnd.nextInt(4)), false));
                allocations.incrementAndGet();
            }
            for (int r = 0; r < rounds; r++) {
                Resource a = buffers.get(rnd.nextInt(buffers.size()));
                Resource b = buffers.get(rnd.nextInt(buffers.size()));
                int pattern = rnd.nextInt();
                var list = device.createCommandList().fill(a, 0, 4096, pattern);
                if (a != b) {
                    list.copy(a, 0, b, 0, 4096);
                }
                if (device.waitForFence(device.submit(list), 10_000) != WaitResult.COMPLETED) {
                    throw new IllegalStateException("process " + pid + " submission " + r + " did not complete");
                }
                byte[] got = machine.os().addressSpace(pid).read(b.va(), 4);
                int value = (got[0] & 0xFF) | (got[1] & 0xFF) << 8 | (got[2] & 0xFF) << 16 | (got[3] & 0xFF) << 24;
                if (value != pattern) {
                    throw new IllegalStateException("process " + pid + " read " + Integer.toHexString(value) + ", expected "
                            + Integer.toHexString(pattern));
                }
            }
            synchronized (report) {
                report.sample(machine.os().frames());
            }
        } finally {
            machine.os().kill(pid);
        }
    }
}
