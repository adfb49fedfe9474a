package vidmm.internal;

import java.util.ArrayDeque;

/**
 * Timeout detection and recovery, as Windows' TdrDelay, TdrLimitCount and TdrLimitTime: a submission
 * whose engine makes no progress for {@code delayMillis} is a timeout; more than {@code limitCount}
 * timeouts within {@code limitWindowMillis} and the driver is given up. Counting is not thread safe:
 * guarded by VidMm's lock.
 */
final class TdrPolicy {
    final long delayMillis;
    final int limitCount;
    final long limitWindowMillis;
    private final ArrayDeque<Long> timeouts = new ArrayDeque<>();

    TdrPolicy(long delayMillis, int limitCount, long limitWindowMillis) {
        if (delayMillis < 1 || limitCount < 1 || limitWindowMillis < 1) {
            throw new IllegalArgumentException("TDR delay, limit count and limit time must be positive, not " + delayMillis
                    + " ms, " + limitCount + ", " + limitWindowMillis + " ms");
        }
        this.delayMillis = delayMillis;
        this.limitCount = limitCount;
        this.limitWindowMillis = limitWindowMillis;
    }

    /** Windows' defaults: 2 s, 5 timeouts within 60 s. */
    /** The same delays and limits, with no timeout counted yet (each adapter counts its own). */
    TdrPolicy copy() {
        return new TdrPolicy(delayMillis, limitCount, limitWindowMillis);
    }

    static TdrPolicy defaults() {
        return new TdrPolicy(2000, 5, 60_000);
    }

    /** Counts a timeout at {@code nowMillis}; returns whether that makes more than the limit within the window. */
    boolean timedOut(long nowMillis) {
        timeouts.addLast(nowMillis);
        while (!timeouts.isEmpty() && timeouts.peekFirst() < nowMillis - limitWindowMillis) {
            timeouts.removeFirst();
        }
        return timeouts.size() > limitCount;
    }

    /** A new driver starts with a clean count. */
    void reset() {
        timeouts.clear();
    }
}
