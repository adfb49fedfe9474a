package vidmm.internal;

import kmd.reference.internal.ReferenceFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.VidMmCaps;
import kmd.reference.internal.ReferenceKmd;
import os.memmgr.FrameCounts;
import vidmm.Allocation;
import vidmm.FenceWait;

/**
 * Several processes submit copies at once, on both engines, while another creates and destroys
 * allocations and a better driver is swapped in and out: every copy that completes moved exactly its
 * own process's bytes, nothing is stuck, and after every exit every frame and PASID is back. 2 s by
 * default, {@code -Dconcurrent.seconds=N} for longer.
 */
class ConcurrentSubmitTest {
    @Test
    void submissionsAllocationsAndSwapsAtOnce() throws Exception {
        Stack s = new Stack(16L << 20);
        FrameCounts start = s.mm.frames();
        long seconds = Long.getLong("concurrent.seconds", 2);
        long deadline = System.currentTimeMillis() + seconds * 1000;
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicLong copies = new AtomicLong();
        AtomicLong swaps = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            int id = t;
            threads.add(new Thread(() -> {
                int pid = s.mm.spawn("submitter-" + id);
                long device = s.vidmm.createDevice(pid);
                Allocation src = s.vidmm.allocate(device, 16384, Set.of());
                Allocation dst = s.vidmm.allocate(device, 16384, Set.of());
                for (int round = 0; System.currentTimeMillis() < deadline && failures.isEmpty(); round++) {
                    byte[] tag = new byte[16384];
                    Arrays.fill(tag, (byte) (id * 50 + round % 50));
                    s.mm.addressSpace(pid).write(src.va(), tag);
                    EngineNode node = round % 2 == 0 ? EngineNode.COPY : EngineNode.RENDER;
                    long fence = s.vidmm.submit(s.vidmm.context(device, node), List.of(new DmaCommand.Copy(src.va(), dst.va(), 16384)));
                    FenceWait w = s.vidmm.waitForFence(s.vidmm.context(device, node), fence, 10_000);
                    if (w != FenceWait.COMPLETED) {
                        failures.add("process " + id + " round " + round + ": " + w);
                        return;
                    }
                    if (!Arrays.equals(tag, s.mm.addressSpace(pid).read(dst.va(), 16384))) {
                        failures.add("process " + id + " round " + round + ": the copy moved other bytes");
                        return;
                    }
                    copies.incrementAndGet();
                }
            }, "submitter-" + t));
        }
        threads.add(new Thread(() -> {
            int pid = s.mm.spawn("allocator");
            long device = s.vidmm.createDevice(pid);
            while (System.currentTimeMillis() < deadline && failures.isEmpty()) {
                Allocation a = s.vidmm.allocate(device, 64 * 1024, Set.of());
                s.vidmm.makeResident(device, List.of(a.handle()));
                s.vidmm.evict(device, List.of(a.handle()));
                s.vidmm.destroyAllocation(device, a.handle());
            }
        }, "allocator"));
        threads.add(new Thread(() -> {
            while (System.currentTimeMillis() < deadline && failures.isEmpty()) {
                ReferenceKmd better = ReferenceFixture.kmd(s.gpu, new VidMmCaps(true, true, false, false, false), 16L << 20);
                s.machine.withdraw(s.machine.offer(better, 100L + swaps.get(), 5, "better"));
                swaps.incrementAndGet();
            }
        }, "swapper"));
        threads.forEach(t -> t.setUncaughtExceptionHandler((th, e) -> failures.add(th.getName() + ": " + e)));
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(seconds * 1000 + 30_000);
            assertTrue(!t.isAlive(), t.getName() + " is stuck");
        }
        System.out.println("concurrent submit (" + seconds + " s): copies " + copies + ", driver swaps " + swaps
                + ", failures " + failures.size());
        assertTrue(failures.isEmpty(), String.join("\n", failures) + "\nfaults: " + s.vidmm.faults());
        assertTrue(copies.get() > 0 && swaps.get() > 0, copies + " copies, " + swaps + " swaps");
        for (var p : s.mm.processes()) {
            s.mm.kill(p.pid());
        }
        assertEquals(start, s.mm.frames(), "every frame back");
        assertTrue(s.iommu.boundPasids().isEmpty(), "every PASID back");
        s.stop();
    }
}
