package workloads.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import os.memmgr.AddressSpace;
import os.memmgr.GpuFaultPolicy;
import os.memmgr.PageProtection;
import os.memmgr.PagingInfo;
import umd.api.Resource;
import umd.api.UmdDevice;
import umd.api.WaitResult;

/**
 * Processes whose memory together is {@code factor} times RAM. Each commits its share with
 * VirtualAlloc, writes the first half with the CPU and has the GPU fill the second half through a
 * heap opened on that memory (not a kernel allocation, so the GPU reaches it by page requests);
 * trimming pages the earlier processes out meanwhile. Then every byte is checked: the CPU reads the
 * GPU's half (page-ins by CPU faults), the GPU copies the CPU's half into a staging buffer (page-ins
 * by page requests) that the CPU reads. Page requests are the OS's {@code sva} GPU fault policy: the
 * scenario selects it for its run and restores the configured one after.
 */
final class OversubscribeScenario implements Scenario {
    private static final int CHUNK = 256 * 1024;

    @Override
    public String name() {
        return "oversubscribe";
    }

    @Override
    public String description() {
        return "processes touch factor x RAM; trimming pages them out, CPU and GPU read every byte back [processes=2 factor=1 seed=N]";
    }

    @Override
    public java.util.Set<String> options() {
        return java.util.Set.of("processes", "factor", "seed");
    }

    private record Proc(int pid, UmdDevice device, long va, long bytes, Resource heap, Resource staging) {
    }

    @Override
    public void run(Machine machine, Map<String, String> options, Report report) throws Exception {
        int processes = Machine.intOption(options, "processes", 2, 1, 16);
        int factor = Machine.intOption(options, "factor", 1, 1, 8);
        long seed = options.containsKey("seed") ? Machine.longOption(options, "seed") : System.nanoTime();
        long ram = machine.os().frames().total() * AddressSpace.PAGE_SIZE;
        long share = Math.max(2L * CHUNK, ram * factor / processes / (2L * CHUNK) * (2L * CHUNK));
        PagingInfo before = machine.os().paging();
        long needPages = share * processes / AddressSpace.PAGE_SIZE;
        if (needPages > before.commitLimit() - before.commitCharge()) {
            throw new IllegalArgumentException(String.format("oversubscribe needs %d MiB of commit, only %d MiB is left"
                    + " under the commit limit (%d MiB of RAM + %d MiB of pagefile); lower factor or processes, or make the"
                    + " pagefile larger: config:set os.memmgr.PagingFile sizeMiB=N", needPages >> 8,
                    (before.commitLimit() - before.commitCharge()) >> 8, ram >> 20, before.slots() >> 8));
        }
        // the scenario shows page requests: it selects the sva fault policy for its run (under windows the
        // GPU's accesses to what nobody made resident would be page faults), and gives the configured one back
        GpuFaultPolicy configured = machine.os().gpuFaultPolicy();
        machine.os().setGpuFaultPolicy(GpuFaultPolicy.SVA);
        List<Proc> procs = new ArrayList<>();
        try {
            for (int p = 0; p < processes; p++) {
                procs.add(write(machine, p, share, seed));
                report.sample(machine.os().frames());
            }
            for (int p = 0; p < processes; p++) {
                verify(machine, procs.get(p), p, seed);
            }
        } finally {
            for (Proc p : procs) {
                p.device().close();
                machine.os().kill(p.pid());
            }
            machine.os().setGpuFaultPolicy(configured);
        }
        PagingInfo after = machine.os().paging();
        report.add(String.format("%d processes x %d MiB = %d x RAM (%d MiB), seed %d; CPU wrote half of each, the GPU"
                        + " the other half through page requests", processes, share >> 20, factor, ram >> 20, seed));
        report.add(String.format("pages out %d, pages in %d (pagefile %s); every byte read back by CPU and GPU: verified",
                after.pagesOut() - before.pagesOut(), after.pagesIn() - before.pagesIn(),
                after.path() == null ? "none" : after.slots() / 256 + " MiB"));
        report.add("GPU fault policy sva for this run (page requests served by the OS), " + configured.label()
                + " again after it");
    }

    private static byte[] cpuPattern(long seed, int process, long offset) {
        byte[] b = new byte[CHUNK];
        new Random(seed * 31 + process * 1_000_003L + offset).nextBytes(b);
        return b;
    }

    private static int gpuPattern(long seed, int process, long offset) {
        return (int) (seed ^ (process * 0x9E3779B9L) ^ offset ^ 0x5A5A5A5AL) | 1;
    }

    private static Proc write(Machine machine, int index, long bytes, long seed) {
        int pid = machine.os().spawn("oversub" + index);
        UmdDevice device = machine.umd().createDevice(pid);
        long va = machine.os().addressSpace(pid).allocate(bytes, PageProtection.READWRITE);
        Resource heap = device.openExistingHeapFromAddress(va, bytes);
        Resource staging = device.createBuffer(CHUNK, false);
        long half = bytes / 2;
        for (long off = 0; off < half; off += CHUNK) {
            Cpu.write(machine, pid, va + off, cpuPattern(seed, index, off));
        }
        long fence = 0;
        for (long off = half; off < bytes; off += CHUNK) { // a submission a chunk: short packets, well inside TdrDelay
            fence = device.submit(device.createCommandList().fill(heap, off, CHUNK, gpuPattern(seed, index, off)));
        }
        await(device, fence, pid, "GPU fill");
        return new Proc(pid, device, va, bytes, heap, staging);
    }

    private static void verify(Machine machine, Proc p, int index, long seed) {
        AddressSpace cpu = machine.os().addressSpace(p.pid());
        long half = p.bytes() / 2;
        for (long off = half; off < p.bytes(); off += CHUNK) {
            byte[] got = cpu.read(p.va() + off, CHUNK);
            int pattern = gpuPattern(seed, index, off);
            for (int i = 0; i < CHUNK; i++) {
                if (got[i] != (byte) (pattern >>> (8 * (i & 3)))) {
                    throw new IllegalStateException(String.format("process %d: the CPU read byte %d of the GPU's fill at VA"
                            + " 0x%x wrong: not verified", p.pid(), i, p.va() + off));
                }
            }
        }
        for (long off = 0; off < half; off += CHUNK) {
            await(p.device(), p.device().submit(p.device().createCommandList().copy(p.heap(), off, p.staging(), 0, CHUNK)),
                    p.pid(), "GPU copy");
            byte[] got = cpu.read(p.staging().va(), CHUNK);
            if (!Arrays.equals(got, cpuPattern(seed, index, off))) {
                throw new IllegalStateException(String.format("process %d: the GPU read the CPU's bytes at VA 0x%x wrong:"
                        + " not verified", p.pid(), p.va() + off));
            }
        }
    }

    private static void await(UmdDevice device, long fence, int pid, String what) {
        WaitResult r = device.waitForFence(fence, 60_000);
        if (r != WaitResult.COMPLETED) {
            throw new IllegalStateException("process " + pid + ": " + what + " ended " + r + " (see vidmm:faults)");
        }
    }
}
