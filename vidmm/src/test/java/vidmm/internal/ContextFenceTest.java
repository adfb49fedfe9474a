package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import os.memmgr.AddressSpace;
import vidmm.Allocation;
import vidmm.ContextInfo;
import vidmm.FenceWait;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * Contexts and their fences on the real stack: a context's fence completes only after its own work,
 * never because another context (of the same device, on another engine) completed.
 */
class ContextFenceTest {
    Stack s = new Stack(64L << 20);

    @AfterEach
    void stop() throws InterruptedException {
        s.stop();
    }

    /**
     * The reproduction: a 128 MiB fill on a render context, then a 4 KiB copy on a copy
     * context of the same device. The copy completes first (another engine); the render context's
     * fence 1 is not completed until the fill's last byte is written.
     */
    @Test
    void aSmallCopyOnACopyContextDoesNotCompleteALongRenderEarly() throws Exception {
        int pid = s.mm.spawn("app");
        long device = s.vidmm.createDevice(pid);
        Allocation big = s.vidmm.allocate(device, 128L << 20, Set.of());
        Allocation a = s.vidmm.allocate(device, 4096, Set.of());
        Allocation b = s.vidmm.allocate(device, 4096, Set.of());
        AddressSpace as = s.mm.addressSpace(pid);
        long render = s.vidmm.createContext(device, EngineNode.RENDER, 0);
        long copy = s.vidmm.createContext(device, EngineNode.COPY, 0);

        long fill = s.vidmm.submit(render, List.of(new DmaCommand.Fill(big.va(), 128L << 20, 0x5A5A5A5A)));
        long small = s.vidmm.submit(copy, List.of(new DmaCommand.Copy(a.va(), b.va(), 4096)));
        assertEquals(1, fill, "each context counts its own fences");
        assertEquals(1, small);
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(copy, small, 5000));
        FenceWait now = s.vidmm.waitForFence(render, fill, 0);
        byte[] last = as.read(big.va() + (128L << 20) - 4, 4);
        if (now == FenceWait.COMPLETED) {
            assertArrayEquals(new byte[] {0x5A, 0x5A, 0x5A, 0x5A}, last, "a completed fill has written its last byte");
        } else {
            assertEquals(FenceWait.TIMED_OUT, now);
            assertEquals(0, s.vidmm.contextInfo(render).completedFence(), "the render context completed nothing yet");
        }
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(render, fill, 30_000));
        assertArrayEquals(new byte[] {0x5A, 0x5A, 0x5A, 0x5A}, as.read(big.va() + (128L << 20) - 4, 4));
        ContextInfo r = s.vidmm.contextInfo(render);
        assertEquals(List.of(1L, 1L, EngineNode.RENDER), List.of(r.submittedFence(), r.completedFence(), r.node()));
    }

    /**
     * Seeded: several contexts of several devices of two processes, on both nodes, submit fills of
     * random sizes without waiting; a watcher polls every context's completed fence. A fence seen
     * completed must have all its bytes written (and those of every earlier fence of its context),
     * and a context's completed fence never goes back.
     */
    @Test
    void randomFillsOnManyContextsCompleteOnlyAfterTheirOwnBytes() throws Exception {
        long seed = Long.getLong("ctx.seed", System.nanoTime());
        try {
            randomRun(new Random(seed), 48);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed " + seed + " (replay with -Dctx.seed=" + seed + "): " + e.getMessage(), e);
        }
    }

    record Work(long context, long fence, AddressSpace space, long va, int length, int pattern) {
        void check() {
            // the last bytes first: a fill writes them last, so a fill still running shows at once
            int tail = Math.min(4, length);
            byte[] end = space.read(va + length - tail, tail);
            for (int i = 0; i < tail; i++) {
                int at = length - tail + i;
                if (end[i] != (byte) (pattern >>> (8 * (at & 3)))) {
                    throw new AssertionError(String.format("context 0x%x fence %d reported completed, but the last bytes of"
                            + " its %d-byte fill are not written", context, fence, length));
                }
            }
            byte[] got = space.read(va, length);
            byte[] want = new byte[length];
            for (int i = 0; i < length; i++) {
                want[i] = (byte) (pattern >>> (8 * (i & 3)));
            }
            if (!Arrays.equals(want, got)) {
                int at = Arrays.mismatch(want, got);
                throw new AssertionError(String.format("context 0x%x fence %d reported completed, but byte %d of its %d-byte"
                        + " fill is %d, not %d", context, fence, at, length, got[at], want[at]));
            }
        }
    }

    void randomRun(Random rnd, int submissions) throws Exception {
        List<Long> contexts = new ArrayList<>();
        Map<Long, Long> deviceOf = new HashMap<>();
        Map<Long, AddressSpace> spaceOf = new HashMap<>();
        for (int p = 0; p < 2; p++) {
            int pid = s.mm.spawn("p" + p);
            for (int d = 0; d < 2; d++) {
                long device = s.vidmm.createDevice(pid);
                for (EngineNode node : new EngineNode[] {EngineNode.RENDER, EngineNode.COPY, EngineNode.RENDER}) {
                    long c = s.vidmm.createContext(device, node, 0);
                    contexts.add(c);
                    deviceOf.put(c, device);
                    spaceOf.put(c, s.mm.addressSpace(pid));
                }
            }
        }
        // first every target, so that the submissions then go out back to back and overlap on the engines
        record Planned(long context, Allocation target, int length, int pattern) {
        }
        List<Planned> plan = new ArrayList<>();
        for (int i = 0; i < submissions; i++) {
            long c = contexts.get(rnd.nextInt(contexts.size()));
            int length = rnd.nextInt(3) == 0 ? (1 + rnd.nextInt(16)) << 20 : 4 + rnd.nextInt(64 << 10);
            Allocation target = s.vidmm.allocate(deviceOf.get(c), length, Set.of());
            s.vidmm.makeResident(deviceOf.get(c), List.of(target.handle())); // as a UMD would: submission is then quick
            plan.add(new Planned(c, target, length, rnd.nextInt() | 0x01010101)); // never a zero byte: an unwritten byte shows
        }
        Map<Long, List<Work>> byContext = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicInteger checked = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean submitting = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread watcher = new Thread(() -> {
            Map<Long, Long> seen = new HashMap<>();
            long deadline = System.nanoTime() + 60_000_000_000L;
            try {
                while (submitting.get() || checked.get() < submissions) {
                    assertTrue(System.nanoTime() < deadline, "only " + checked + " of " + submissions + " completed in 60 s");
                    for (var e : byContext.entrySet()) {
                        long c = e.getKey();
                        long completed = s.vidmm.contextInfo(c).completedFence();
                        long before = seen.getOrDefault(c, 0L);
                        assertTrue(completed >= before, "context 0x" + Long.toHexString(c) + " went back from " + before
                                + " to " + completed);
                        for (long f = before + 1; f <= completed; f++) {
                            e.getValue().get((int) f - 1).check(); // its own bytes are all there, in fence order
                            checked.incrementAndGet();
                        }
                        seen.put(c, completed);
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "fence-watcher");
        watcher.start();
        try {
            for (Planned p : plan) {
                List<Work> list = byContext.computeIfAbsent(p.context(), k -> new java.util.concurrent.CopyOnWriteArrayList<>());
                Work w = new Work(p.context(), list.size() + 1, spaceOf.get(p.context()), p.target().va(), p.length(), p.pattern());
                list.add(w); // before its submission: the watcher may see it complete at once
                long fence = s.vidmm.submit(p.context(), List.of(new DmaCommand.Fill(w.va(), w.length(), w.pattern())));
                assertEquals(w.fence(), fence, "a context's fences count 1, 2, ... on their own");
            }
        } finally {
            submitting.set(false);
            watcher.join(70_000);
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get().getMessage(), failure.get());
        }
        assertEquals(submissions, checked.get());
    }

    /**
     * A process exits while its fill is still queued on the render engine (behind another process's
     * long fill); a new process is bound at once and gets the same PASID. The exit waited for (or cut
     * off) the queued fill before the PASID went back, so it never runs under the new owner of the
     * PASID: the new process's memory at the same VA never shows the old pattern.
     */
    @Test
    void aPasidIsReusedOnlyAfterTheExitingProcesssWorkIsGone() throws Exception {
        long size = 64L << 20;
        int blocker = s.mm.spawn("blocker");
        long busy = s.vidmm.createDevice(blocker);
        Allocation long1 = s.vidmm.allocate(busy, 96L << 20, Set.of());
        s.vidmm.makeResident(busy, List.of(long1.handle()));
        int old = s.mm.spawn("old");
        long device = s.vidmm.createDevice(old);
        int pasid = s.vidmm.device(device).pasid();
        Allocation big = s.vidmm.allocate(device, size, Set.of());
        s.vidmm.makeResident(device, List.of(big.handle()));
        long render = s.vidmm.createContext(device, EngineNode.RENDER, 0);
        s.vidmm.submit(s.vidmm.createContext(busy, EngineNode.RENDER, 0),
                List.of(new DmaCommand.Fill(long1.va(), 96L << 20, 0x11111111)));
        s.vidmm.submit(render, List.of(new DmaCommand.Fill(big.va(), size, 0x0BAD0BAD))); // queued behind it
        s.mm.kill(old);
        assertTrue(s.vidmm.contexts().stream().noneMatch(c -> c.handle() == render), "the exit destroyed its context");

        int fresh = s.mm.spawn("fresh");
        long next = s.vidmm.createDevice(fresh);
        assertEquals(pasid, s.vidmm.device(next).pasid(), "the PASID is given again at once");
        Allocation mine = s.vidmm.allocate(next, size, Set.of());
        assertEquals(big.va(), mine.va(), "the same VA in the new process");
        s.vidmm.makeResident(next, List.of(mine.handle()));
        AddressSpace as = s.mm.addressSpace(fresh);
        long deadline = System.nanoTime() + 1_500_000_000L;
        while (System.nanoTime() < deadline) {
            for (long off = 0; off < size; off += 4L << 20) {
                assertArrayEquals(new byte[4], as.read(mine.va() + off, 4),
                        "the old process's fill reached the new one at +" + off);
            }
        }
    }

    @Test
    void contextsAreCheckedAndGoWithTheirDevice() {
        int pid = s.mm.spawn("app");
        long device = s.vidmm.createDevice(pid);
        assertEquals(VidMmStatus.INVALID_PARAMETER, assertThrows(VidMmException.class,
                () -> s.vidmm.createContext(device, EngineNode.RENDER, 1)).status(), "the adapter has one physical GPU");
        assertEquals(VidMmStatus.INVALID_HANDLE, assertThrows(VidMmException.class,
                () -> s.vidmm.submit(0x7777, List.of(new DmaCommand.Fill(0x10000, 4, 1)))).status());
        long render = s.vidmm.createContext(device, EngineNode.RENDER, 0);
        assertEquals(render, s.vidmm.context(device, EngineNode.RENDER), "the shorthand finds the device's first context");
        long copy = s.vidmm.context(device, EngineNode.COPY);
        assertEquals(List.of(render, copy), s.vidmm.device(device).contexts());
        assertEquals(List.of(EngineNode.RENDER, EngineNode.COPY),
                s.kmd.handles().contexts().stream().map(kmd.sdk.DriverHandles.Context::node).toList(), "the driver was told of both");
        s.vidmm.destroyContext(copy);
        assertEquals(List.of(render), s.vidmm.device(device).contexts());
        assertEquals(VidMmStatus.INVALID_HANDLE, assertThrows(VidMmException.class,
                () -> s.vidmm.waitForFence(copy, 1, 0)).status());
        s.vidmm.destroyDevice(device);
        assertEquals(List.of(), s.vidmm.contexts());
        assertEquals(List.of(), s.kmd.handles().contexts(), "the driver's contexts went with the device");
    }
}
