package vidmm.internal;

import java.util.ArrayDeque;

/**
 * Timeout detection and recovery, as Windows' TdrDelay, TdrDdiDelay, TdrLimitCount and TdrLimitTime:
 * a submission whose engine makes no progress for {@code delayMillis} is a timeout; a DDI call that
 * does not return within {@code ddiDelayMillis} hangs its driver (0: DDIs are not guarded); more than {@code limitCount}
 * timeouts within {@code limitWindowMillis} and the driver is given up. Counting is not thread safe:
 * guarded by VidMm's lock.
 */
final class TdrPolicy {
    final long delayMillis;
    final long ddiDelayMillis;
    final int limitCount;
    final long limitWindowMillis;
    private final ArrayDeque<Long> timeouts = new ArrayDeque<>();

    TdrPolicy(long delayMillis, long ddiDelayMillis, int limitCount, long limitWindowMillis) {
        if (delayMillis < 1 || ddiDelayMillis < 0 || limitCount < 1 || limitWindowMillis < 1) {
            throw new IllegalArgumentException("TDR delays, limit count and limit time must be positive (TdrDdiDelay may be 0: off), not " + delayMillis
                    + " ms, " + ddiDelayMillis + " ms, " + limitCount + ", " + limitWindowMillis + " ms");
        }
        this.delayMillis = delayMillis;
        this.ddiDelayMillis = ddiDelayMillis;
        this.limitCount = limitCount;
        this.limitWindowMillis = limitWindowMillis;
    }

    /** The same delays and limits, with no timeout counted yet (each adapter counts its own). */
    TdrPolicy copy() {
        return new TdrPolicy(delayMillis, ddiDelayMillis, limitCount, limitWindowMillis);
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
