package vidmm.internal;

import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * TdrDdiDelay for one attached driver context: every DDI call runs on the context's own DDI thread
 * while the caller waits at most {@code delayMillis}. The caller holds the adapter's call order
 * ({@link AdapterState#calls}), so calls go one at a time, but not its bookkeeping lock: the guard
 * lets that go for the call and takes it back after, so that readers, interrupts' follow-ups and the
 * shell never wait for a driver. A call that does not return by then hangs the driver: the caller
 * gets DRIVER_HUNG at once and so lets the call order go, every later call fails at once, and
 * {@code onHang} (VidMm's recovery) is told which DDI hung. The hung thread is abandoned; nothing of
 * VidMm waits on it again. With a delay of 0 the calls run on the caller's thread (still without the
 * bookkeeping lock) and nothing guards them (the hand-off costs about 1.5 us a call).
 */
final class DdiGuard {
    private static final Object TIMED_OUT = new Object();

    private final String driver;
    private final AdapterState adapter;
    private final long delayMillis;
    private final BiConsumer<DdiGuard, String> onHang;
    /** The DDI thread, or null when DDIs run on the caller's thread (delay 0). */
    private final DdiThread thread;
    private volatile String hungIn;

    DdiGuard(String driver, AdapterState adapter, long delayMillis, BiConsumer<DdiGuard, String> onHang) {
        this.driver = driver;
        this.adapter = adapter;
        this.delayMillis = delayMillis;
        this.onHang = onHang;
        this.thread = delayMillis > 0 ? new DdiThread("ddi-" + adapter.index + "-" + driver) : null;
    }

    /** Runs {@code call} on the DDI thread and waits for it at most TdrDdiDelay; its exceptions pass through. */
    Object call(String ddi, DdiCall call) throws Throwable {
        String hung = hungIn;
        if (hung != null) {
            throw new VidMmException(VidMmStatus.DRIVER_HUNG, driver + " hung in " + hung + " and was given up; " + ddi
                    + " not called");
        }
        if (thread != null && thread.isCurrent()) {
            return call.run(); // a DDI calling back into VidMm, which calls a DDI: already on the DDI thread
        }
        Object result;
        try {
            result = adapter.unlocked(() -> { // the driver is called without the bookkeeping lock
                try {
                    return thread == null ? call.run() : thread.run(call, TimeUnit.MILLISECONDS.toNanos(delayMillis), TIMED_OUT);
                } catch (RuntimeException | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new Thrown(t);
                }
            });
        } catch (Thrown t) {
            throw t.getCause();
        }
        if (result == TIMED_OUT) {
            hang(ddi);
            throw new VidMmException(VidMmStatus.DRIVER_HUNG, driver + " did not return from " + ddi + " within "
                    + delayMillis + " ms (TdrDdiDelay); VidMm gave it up");
        }
        return result;
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
            thread.interrupt(); // in case the driver waits interruptibly
            thread.close();
            onHang.accept(this, ddi);
        }
    }

    /** Whether a DDI of this context hung. */
    boolean hung() {
        return hungIn != null;
    }

    /** The context is detached: its DDI thread ends once idle. */
    void close() {
        if (thread != null) {
            thread.close();
        }
    }
}
