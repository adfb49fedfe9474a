package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import vidmm.VidMmException;
import vidmm.VidMmStatus;

/** TdrDdiDelay on the caller's thread: the watchdog times a call out, once, and only a call past its deadline. */
class DdiGuardTest {
    static final long DELAY = 100;

    final AdapterState adapter = new AdapterState(0, new int[] {0}, null, null, (topic, props) -> { }, pid -> { });
    final List<String> hungIn = new CopyOnWriteArrayList<>();
    final DdiGuard guard = new DdiGuard("test", adapter, DELAY, (g, ddi) -> hungIn.add(ddi));

    @AfterEach
    void close() {
        guard.close();
    }

    private Object call(String ddi, DdiCall call) throws Throwable {
        try (AdapterState.Held held = adapter.change()) {
            return guard.call(ddi, call);
        }
    }

    @Test
    void callsThatReturnInTimeRunOnTheCallersThreadWithoutTheBookkeepingLock() throws Throwable {
        Thread caller = Thread.currentThread();
        for (int i = 0; i < 10_000; i++) {
            int n = i;
            assertEquals(n, call("DxgkDdiQuick", () -> {
                if (Thread.currentThread() != caller || adapter.lock.isHeldByCurrentThread()) {
                    throw new AssertionError("not on the caller's thread, or with the bookkeeping lock");
                }
                return n;
            }));
        }
        assertTrue(hungIn.isEmpty(), "no call was timed out: " + hungIn);
    }

    @Test
    void aCallWaitingInterruptiblyPastTheDeadlineIsInterruptedAndItsCallerGetsDriverHung() throws Throwable {
        Object never = new Object();
        long started = System.nanoTime();
        VidMmException e = assertThrows(VidMmException.class, () -> call("DxgkDdiCreateAllocation", () -> {
            synchronized (never) {
                never.wait(); // until interrupted
            }
            return null;
        }));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertEquals(VidMmStatus.DRIVER_HUNG, e.status());
        assertTrue(e.getMessage().contains("did not return from DxgkDdiCreateAllocation within 100 ms"), e.getMessage());
        assertTrue(tookMillis >= DELAY && tookMillis < 20 * DELAY, tookMillis + " ms");
        assertFalse(Thread.currentThread().isInterrupted(), "the watchdog's interrupt was for the driver, not left to the caller");
        assertEquals(List.of("DxgkDdiCreateAllocation"), hungIn);
        AtomicInteger called = new AtomicInteger();
        VidMmException later = assertThrows(VidMmException.class, () -> call("DxgkDdiDestroyAllocation", () -> called.incrementAndGet()));
        assertEquals(VidMmStatus.DRIVER_HUNG, later.status());
        assertEquals(0, called.get(), "a hung driver is not called again");
    }

    @Test
    void aCallThatIgnoresTheInterruptAndReturnsLateStillGivesDriverHungWithItsResultDiscarded() throws Throwable {
        VidMmException e = assertThrows(VidMmException.class, () -> call("DxgkDdiSubmitCommand", () -> {
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * DELAY);
            while (System.nanoTime() < until) {
                Thread.onSpinWait(); // a busy driver: no interruptible wait
            }
            return "late";
        }));
        assertEquals(VidMmStatus.DRIVER_HUNG, e.status());
        assertFalse(Thread.currentThread().isInterrupted());
        assertEquals(List.of("DxgkDdiSubmitCommand"), hungIn);
    }

    @Test
    void aDdiThatCallsBackIntoVidMmAndSoIntoAnotherDdiIsCoveredByTheOuterDeadline() throws Throwable {
        assertEquals("inner", call("DxgkDdiOuter", () -> guard.call("DxgkDdiInner", () -> "inner")));
        assertTrue(hungIn.isEmpty());
    }
}
