package vidmm.internal;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * TdrDdiDelay for one attached driver context: every DDI call runs on its caller's thread under a
 * deadline the context's watchdog checks, so a call that returns in time costs little more than the
 * call itself. The caller holds the adapter's call order ({@link AdapterState#calls}), so calls go one
 * at a time, but not its bookkeeping lock: the guard lets that go for the call and takes it back
 * after, so that readers, interrupts' follow-ups and the shell never wait for a driver.
 *
 * <p>A call still running TdrDdiDelay after it started hangs the driver: the watchdog marks it hung
 * (every later call fails at once with DRIVER_HUNG), interrupts the calling thread, in case the driver
 * waits interruptibly, and tells {@code onHang} (VidMm's recovery) which DDI hung. When the driver
 * returns, whatever it returned, its caller gets DRIVER_HUNG and unwinds its change, which lets the
 * call order go; recovery then gives the driver up. A driver that never leaves the DDI keeps its
 * caller, and so the adapter's call order, for good: Windows bug-checks then (VIDEO_TDR_FAILURE);
 * here the adapter's changes wait while its state stays readable.
 */
final class DdiGuard {
    private static final int RUNNING = 0;
    private static final int RETURNED = 1;
    private static final int TIMED_OUT = 2;

    /** One DDI call in progress: either its caller ends it or the watchdog times it out, once. */
    private static final class Call {
        final String ddi;
        final Thread caller;
        /** The watchdog's tick when the call began: no clock read per call (about 20 ns on this host's). */
        final long startTick;
        final AtomicInteger state = new AtomicInteger(RUNNING);
        /** Set by the watchdog once it interrupted the caller (after it timed the call out). */
        volatile boolean interrupted;

        Call(String ddi, Thread caller, long startTick) {
            this.ddi = ddi;
            this.caller = caller;
            this.startTick = startTick;
        }
    }

    private final String driver;
    private final AdapterState adapter;
    private final long delayMillis;
    private final BiConsumer<DdiGuard, String> onHang;
    /** Checks the call in progress every quarter of TdrDdiDelay; null when nothing guards the calls (delay 0). */
    private final ScheduledExecutorService watchdog;
    /** The watchdog's ticks (written by it alone), and how many make TdrDdiDelay. */
    private volatile long ticks;
    private final long ticksPerDelay;
    private volatile Call current;
    private volatile String hungIn;

    DdiGuard(String driver, AdapterState adapter, long delayMillis, BiConsumer<DdiGuard, String> onHang) {
        this.driver = driver;
        this.adapter = adapter;
        this.delayMillis = delayMillis;
        this.onHang = onHang;
        if (delayMillis > 0) {
            watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "ddi-watchdog-" + adapter.index + "-" + driver);
                t.setDaemon(true);
                return t;
            });
            long period = Math.max(1, delayMillis / 4);
            ticksPerDelay = (delayMillis + period - 1) / period;
            watchdog.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
        } else {
            watchdog = null;
            ticksPerDelay = 0;
        }
    }

    /** Runs {@code call} on this thread under TdrDdiDelay; its exceptions pass through. */
    Object call(String ddi, DdiCall call) throws Throwable {
        String hung = hungIn;
        if (hung != null) {
            throw new VidMmException(VidMmStatus.DRIVER_HUNG, driver + " hung in " + hung + " and was given up; " + ddi
                    + " not called");
        }
        Call outer = current;
        if (outer != null && outer.caller == Thread.currentThread()) {
            return call.run(); // a DDI calling back into VidMm, which calls a DDI: the outer call's deadline covers it
        }
        try {
            return adapter.unlocked(() -> { // the driver is called without the bookkeeping lock
                try {
                    return watched(ddi, call);
                } catch (RuntimeException | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new Thrown(t);
                }
            });
        } catch (Thrown t) {
            throw t.getCause();
        }
    }

    private Object watched(String ddi, DdiCall call) throws Throwable {
        if (watchdog == null) {
            return call.run();
        }
        Call c = new Call(ddi, Thread.currentThread(), ticks);
        current = c;
        Object result = null;
        Throwable failed = null;
        try {
            result = call.run();
        } catch (Throwable t) {
            failed = t;
        }
        current = null;
        if (!c.state.compareAndSet(RUNNING, RETURNED)) { // the watchdog gave the driver up meanwhile
            while (!c.interrupted) {
                Thread.onSpinWait(); // its interrupt was for the driver's wait, not for what this thread does next
            }
            Thread.interrupted();
            throw new VidMmException(VidMmStatus.DRIVER_HUNG, driver + " did not return from " + ddi + " within "
                    + delayMillis + " ms (TdrDdiDelay); VidMm gave it up");
        }
        if (failed != null) {
            throw failed;
        }
        return result;
    }

    /**
     * The watchdog's tick: times out a call that began more than TdrDdiDelay's ticks ago (ticks are at
     * least a period apart, so at least TdrDdiDelay ago).
     */
    private void check() {
        long now = ticks + 1;
        ticks = now;
        Call c = current;
        if (c != null && now - c.startTick > ticksPerDelay && c.state.compareAndSet(RUNNING, TIMED_OUT)) {
            c.caller.interrupt(); // in case the driver waits interruptibly
            c.interrupted = true;
            try {
                hang(c.ddi);
            } catch (RuntimeException e) { // a task that throws would end the watchdog's ticks
                System.getLogger(DdiGuard.class.getName()).log(System.Logger.Level.ERROR, "recovery of " + driver + " failed: " + e);
            }
        }
    }

    /** A checked exception of a DDI, carried through {@link AdapterState#unlocked}. */
    private static final class Thrown extends RuntimeException {
        Thrown(Throwable cause) {
            super(cause);
        }
    }

    private synchronized void hang(String ddi) {
        if (hungIn == null) {
            hungIn = ddi;
            onHang.accept(this, ddi);
        }
    }

    /** Whether a DDI of this context hung. */
    boolean hung() {
        return hungIn != null;
    }

    /** The context is detached: its watchdog stops. */
    void close() {
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
    }
}
