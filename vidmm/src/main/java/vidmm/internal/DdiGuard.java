package vidmm.internal;

import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * TdrDdiDelay for one attached driver context: every DDI call runs on the context's own DDI thread
 * while the caller (who holds the adapter's lock) waits at most {@code delayMillis}. A call that does
 * not return by then hangs the driver: the caller gets DRIVER_HUNG at once and so releases the lock,
 * every later call fails at once, and {@code onHang} (VidMm's recovery) is told which DDI hung. The
 * hung thread is abandoned; nothing of VidMm waits on it again. With a delay of 0 the calls run on
 * the caller's thread and nothing guards them (the hand-off costs about 1.5 us a call).
 */
final class DdiGuard {
    private static final Object TIMED_OUT = new Object();

    private final String driver;
    private final long delayMillis;
    private final BiConsumer<DdiGuard, String> onHang;
    /** The DDI thread, or null when DDIs run on the caller's thread (delay 0). */
    private final DdiThread thread;
    private volatile String hungIn;

    DdiGuard(String driver, int adapter, long delayMillis, BiConsumer<DdiGuard, String> onHang) {
        this.driver = driver;
        this.delayMillis = delayMillis;
        this.onHang = onHang;
        this.thread = delayMillis > 0 ? new DdiThread("ddi-" + adapter + "-" + driver) : null;
    }

    /** Runs {@code call} on the DDI thread and waits for it at most TdrDdiDelay; its exceptions pass through. */
    Object call(String ddi, DdiCall call) throws Throwable {
        String hung = hungIn;
        if (hung != null) {
            throw new VidMmException(VidMmStatus.DRIVER_HUNG, driver + " hung in " + hung + " and was given up; " + ddi
                    + " not called");
        }
        if (thread == null || thread.isCurrent()) {
            return call.run(); // a DDI calling back into VidMm, which calls a DDI: already on the DDI thread
        }
        Object result = thread.run(call, TimeUnit.MILLISECONDS.toNanos(delayMillis), TIMED_OUT);
        if (result == TIMED_OUT) {
            hang(ddi);
            throw new VidMmException(VidMmStatus.DRIVER_HUNG, driver + " did not return from " + ddi + " within "
                    + delayMillis + " ms (TdrDdiDelay); VidMm gave it up");
        }
        return result;
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
