package workloads.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import os.memmgr.AddressSpace;
import os.memmgr.internal.WindowsMemoryManager;
import vidmm.ContextInfo;
import vidmm.VidMm;

/**
 * The chaos soak's context worker: a process with a render and a copy context on one device
 * submits fills of random sizes on both without waiting for each fence, and checks, as fences
 * complete, the two fence invariants: a completed fence's own bytes are all written (nothing
 * completes early, across contexts either), and a context's completed fence never goes back.
 * Swaps, timeouts and faults elsewhere may put the device in error or refuse a call: then the
 * process ends, as an application would, and a new one starts.
 */
final class ContextChaos {
    final AtomicLong submissions = new AtomicLong();
    final AtomicLong fencesChecked = new AtomicLong();
    final AtomicLong disrupted = new AtomicLong();
    /** Fences that completed without their work because the injected faulty driver swallowed it (a later fence of the context then completes it). */
    final AtomicLong lostByDriver = new AtomicLong();
    private final Queue<String> failures;
    private final java.util.function.Predicate<List<DmaCommand>> swallowed;

    /**
     * @param swallowed whether the faulty driver dropped a submission of these commands (by identity): a
     *                  driver that loses work and reports a later fence completes the lost one too, as a
     *                  monitored fence does; that is the driver's fault, not VidMm's
     */
    ContextChaos(Queue<String> failures, java.util.function.Predicate<List<DmaCommand>> swallowed) {
        this.failures = failures;
        this.swallowed = swallowed;
    }

    /** One fill, the command list it was submitted as, and the context it went to. */
    private record Work(long context, long fence, List<DmaCommand> commands, long va, int length, int pattern) {
    }

    /** One process's life on two contexts. */
    void process(WindowsMemoryManager mm, VidMm vidmm, Random rnd) {
        int pid = mm.spawn("contexts");
        AddressSpace cpu = mm.addressSpace(pid);
        try {
            long device = vidmm.createDevice(pid);
            long[] contexts = {vidmm.createContext(device, EngineNode.RENDER, 0), vidmm.createContext(device, EngineNode.COPY, 0)};
            List<List<Work>> works = List.of(new ArrayList<>(), new ArrayList<>());
            long[] seen = new long[2];
            int n = 2 + rnd.nextInt(10);
            for (int i = 0; i < n; i++) {
                int which = rnd.nextInt(2);
                int length = 4 + rnd.nextInt(256 << 10);
                long va = vidmm.allocate(device, length, Set.of()).va();
                int pattern = rnd.nextInt() | 0x01010101;
                List<DmaCommand> commands = List.of(new DmaCommand.Fill(va, length, pattern));
                long fence = vidmm.submit(contexts[which], commands);
                submissions.incrementAndGet();
                works.get(which).add(new Work(contexts[which], fence, commands, va, length, pattern));
                check(vidmm, cpu, contexts, works, seen);
            }
            long deadline = System.currentTimeMillis() + 10_000;
            while ((seen[0] < works.get(0).size() || seen[1] < works.get(1).size()) && System.currentTimeMillis() < deadline) {
                if (!check(vidmm, cpu, contexts, works, seen)) {
                    return; // the device went into error: its fences never complete
                }
                Thread.sleep(1);
            }
        } catch (RuntimeException disruption) {
            disrupted.incrementAndGet(); // a swap, a timeout or a stopped adapter met mid-way
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            mm.kill(pid);
        }
    }

    /** Checks what completed since the last look; false once the device is in error. */
    private boolean check(VidMm vidmm, AddressSpace cpu, long[] contexts, List<List<Work>> works, long[] seen) {
        for (int i = 0; i < 2; i++) {
            ContextInfo info = vidmm.contextInfo(contexts[i]);
            if (info.status() != ContextInfo.Status.ACTIVE) {
                return false;
            }
            if (info.completedFence() < seen[i]) {
                failures.add("context 0x" + Long.toHexString(contexts[i]) + " went back from fence " + seen[i] + " to "
                        + info.completedFence());
            }
            for (long f = seen[i] + 1; f <= info.completedFence(); f++) {
                Work w = works.get(i).get((int) f - 1);
                byte[] got = cpu.read(w.va(), w.length());
                for (int b = 0; b < got.length; b++) {
                    if (got[b] != (byte) (w.pattern() >>> (8 * (b & 3)))) {
                        if (swallowed.test(w.commands())) {
                            lostByDriver.incrementAndGet();
                            break;
                        }
                        failures.add(String.format("context 0x%x fence %d completed before byte %d of its %d-byte fill",
                                w.context(), f, b, w.length()));
                        break;
                    }
                }
                fencesChecked.incrementAndGet();
            }
            seen[i] = Math.max(seen[i], info.completedFence());
        }
        return true;
    }
}
