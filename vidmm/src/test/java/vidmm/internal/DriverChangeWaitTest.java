package vidmm.internal;

import kmd.reference.internal.ReferenceFixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.VidMmCaps;
import kmd.api.callbacks.DxgkCallbacks;
import kmd.api.callbacks.InterruptNotification;
import kmd.reference.internal.ReferenceKmd;
import umd.api.AllocationCreateFlag;
import vidmm.Allocation;
import vidmm.DeviceInfo;
import vidmm.DriverBinding;
import vidmm.FenceWait;

/**
 * A change of driver waits for the going driver's work and for the new driver's replay without the
 * adapter's lock: other devices' submissions return at once meanwhile (held behind the change and
 * given to the new driver after it), and queries answer.
 */
class DriverChangeWaitTest {
    static final VidMmCaps IOMMU = new VidMmCaps(true, true, false, false, false);

    Stack s = new Stack(64L << 20);
    ScheduledExecutorService late = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() throws InterruptedException {
        late.shutdownNow();
        s.stop();
    }

    /** {@code inner}, except for what {@code handler} answers first (null: pass the call on). */
    interface Intercept {
        Object call(String method, Object[] args) throws Exception;
    }

    static KernelModeDriver intercepted(KernelModeDriver inner, Intercept handler) {
        return (KernelModeDriver) Proxy.newProxyInstance(DriverChangeWaitTest.class.getClassLoader(),
                new Class<?>[] {KernelModeDriver.class}, (proxy, m, args) -> {
                    Object answer = handler.call(m.getName(), args);
                    if (answer != null) {
                        return answer == NOTHING ? null : answer;
                    }
                    try {
                        return m.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** What an intercept answers for a call it swallowed. */
    static final Object NOTHING = new Object();

    /** Runs {@code r} on a new thread, started. */
    static Thread started(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.start();
        return t;
    }

    /**
     * The going driver never completes device A's render: the change waits its two seconds for it.
     * Meanwhile device B submits (the fence comes back at once, the submission held), allocates and
     * lists contexts; after the change, A is in error, and B's submission ran on the new driver.
     */
    @Test
    void otherDevicesGoOnWhileTheGoingDriversWorkIsWaitedFor() throws Exception {
        AtomicBoolean swallow = new AtomicBoolean();
        CountDownLatch exclusive = new CountDownLatch(1);
        KernelModeDriver going = intercepted(ReferenceFixture.kmd(s.gpu, IOMMU, 64L << 20), (method, args) -> {
            if (method.equals("submitCommand") && swallow.get()) {
                return NOTHING; // taken, never completed
            }
            if (method.equals("beginExclusiveAccess")) {
                exclusive.countDown();
            }
            return null;
        });
        s.machine.offer(going, 40, 5, "going");
        long a = s.vidmm.createDevice(s.mm.spawn("stuck"));
        Allocation aBuffer = s.vidmm.allocate(a, 4096, Set.of());
        long aRender = s.vidmm.createContext(a, EngineNode.RENDER, 0);
        swallow.set(true);
        long aFence = s.vidmm.submit(aRender, List.of(new DmaCommand.Fill(aBuffer.va(), 16, 1)));
        swallow.set(false);
        int bPid = s.mm.spawn("staying");
        long b = s.vidmm.createDevice(bPid);
        Allocation bBuffer = s.vidmm.allocate(b, 4096, Set.of());
        long bRender = s.vidmm.createContext(b, EngineNode.RENDER, 0);

        ReferenceKmd better = ReferenceFixture.kmd(s.gpu, IOMMU, 64L << 20);
        Thread change = started("change", () -> s.machine.offer(better, 50, 9, "better"));
        assertTrue(exclusive.await(5, TimeUnit.SECONDS), "the change never began");
        long bFence = s.vidmm.submit(bRender, List.of(new DmaCommand.Fill(bBuffer.va(), 16, 0x0B0B0B0B)));
        s.vidmm.allocate(b, 4096, Set.of());
        assertEquals(2, s.vidmm.contexts().size(), "queries answer during the change");
        assertTrue(change.isAlive(), "B's calls did not wait for the change's two-second wait for A's work");

        change.join(10_000);
        assertTrue(s.vidmm.drivers().stream().anyMatch(d -> d.name().equals("better") && d.attached()),
                s.vidmm.drivers().toString());
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(bRender, bFence, 5000), "B's held submission ran");
        assertArrayEquals(new byte[] {11, 11, 11, 11}, s.mm.addressSpace(bPid).read(bBuffer.va(), 4));
        assertEquals(DeviceInfo.Status.ERROR, s.vidmm.device(a).status(), "A's work could not finish on the going driver");
        assertEquals(FenceWait.DEVICE_IN_ERROR, s.vidmm.waitForFence(aRender, aFence, 100));
    }

    /** A new driver that completes the replay's aperture map late: displayed again after it, and nobody waited on the lock. */
    @Test
    void theReplaysApertureMapIsWaitedForWithoutTheLock() throws Exception {
        int pid = s.mm.spawn("app");
        long device = s.vidmm.createDevice(pid);
        Allocation primary = s.vidmm.allocate(device, 64 * 48 * 4, Set.of(AllocationCreateFlag.PRIMARY));
        long render = s.vidmm.createContext(device, EngineNode.RENDER, 0);
        long fence = s.vidmm.submit(render, List.of(new DmaCommand.Fill(primary.va(), 64 * 48 * 4, 0xFF336699)));
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(render, fence, 5000));
        s.vidmm.present(device, primary.handle(), 0);
        int[] before = s.gpu.scanout(0).rgb();

        CountDownLatch mapped = new CountDownLatch(1);
        java.util.Set<Long> pagingIds = java.util.concurrent.ConcurrentHashMap.newKeySet();
        KernelModeDriver slow = intercepted(ReferenceFixture.kmd(s.gpu, IOMMU, 64L << 20), (method, args) -> {
            if (method.equals("buildPagingBuffer")) {
                pagingIds.add((Long) args[1]); // the paging node's SubmissionFenceId
                mapped.countDown();
            }
            return null;
        });
        KernelModeDriver delaying = intercepted(slow, (method, args) -> {
            if (method.equals("startDevice")) { // paging buffers complete a second late
                DxgkCallbacks real = (DxgkCallbacks) args[0];
                slow.startDevice(n -> {
                    if (n instanceof InterruptNotification.DmaCompleted d && d.node() == kmd.api.EngineNode.COPY
                            && pagingIds.contains(d.submissionFenceId())) {
                        late.schedule(() -> real.notifyInterrupt(n), 1, TimeUnit.SECONDS);
                    } else {
                        real.notifyInterrupt(n);
                    }
                });
                return NOTHING;
            }
            return null;
        });
        Thread change = started("change", () -> s.machine.offer(delaying, 50, 9, "delaying"));
        assertTrue(mapped.await(5, TimeUnit.SECONDS), "the replay never mapped the primary");
        long other = s.vidmm.createDevice(s.mm.spawn("other"));
        assertEquals(2, s.vidmm.processes().size(), "calls go on while the replay's map is in flight");
        assertTrue(change.isAlive(), "the other device waited for the replay's paging fence");

        change.join(10_000);
        assertArrayEquals(before, s.gpu.scanout(0).rgb(), "the source scans the primary out again once mapped");
        assertTrue(s.gpu.scanout(0).errors().isEmpty(), s.gpu.scanout(0).errors().toString());
        s.vidmm.destroyDevice(other);
    }

    /** A new driver that never completes the replay's aperture map is given up after five seconds; the old one comes back. */
    @Test
    void aReplayWhoseMapNeverCompletesRefusesTheNewDriver() {
        int pid = s.mm.spawn("app");
        long device = s.vidmm.createDevice(pid);
        Allocation primary = s.vidmm.allocate(device, 64 * 48 * 4, Set.of(AllocationCreateFlag.PRIMARY));
        s.vidmm.present(device, primary.handle(), 0);
        KernelModeDriver mute = intercepted(ReferenceFixture.kmd(s.gpu, IOMMU, 64L << 20),
                (method, args) -> method.equals("buildPagingBuffer") ? NOTHING : null);
        s.machine.offer(mute, 50, 9, "mute");

        DriverBinding refused = s.vidmm.drivers().stream().filter(d -> d.name().equals("mute")).findFirst().orElseThrow();
        assertTrue(!refused.attached() && refused.refusal().startsWith("replaying VidMm's state failed: ")
                && refused.refusal().contains("MapApertureSegment: paging fence")
                && refused.refusal().contains("did not complete within 5000 ms"), refused.toString());
        assertTrue(s.kmd.processesForTest().stream().anyMatch(p -> p.startsWith(pid + ":")), "the old driver is back");
        assertTrue(s.gpu.scanout(0).errors().isEmpty(), s.gpu.scanout(0).errors().toString());
    }
}
