package iommu.hw.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Tracks requests in flight so that an invalidation can wait for every request that may still use
 * a translation it removed (the "drain" of an invalidation-wait descriptor).
 *
 * <p>Requests count themselves in a striped counter of the current epoch's parity; {@link #drain()}
 * advances the epoch and waits until the old parity's counters reach zero. A request that raced
 * with the advance notices the epoch change and re-enters under the new one. Entering costs one
 * atomic add on a counter shared only with threads of the same stripe.
 */
final class InflightGate {
    private static final int STRIPES = 64;
    /** Counters are 16 longs (128 bytes) apart so that stripes do not share cache lines. */
    private static final int SPACING = 16;

    private final AtomicLong epoch = new AtomicLong();
    private final AtomicLongArray counters = new AtomicLongArray(2 * STRIPES * SPACING);
    private final Object drainLock = new Object();

    /** Enters; returns the token to pass to {@link #exit(int)}. */
    int enter() {
        int stripe = (int) (Thread.currentThread().getId() & (STRIPES - 1));
        while (true) {
            long e = epoch.get();
            int slot = (((int) (e & 1)) * STRIPES + stripe) * SPACING;
            counters.getAndIncrement(slot);
            if (epoch.get() == e) {
                return slot;
            }
            counters.getAndDecrement(slot);
        }
    }

    void exit(int token) {
        counters.getAndDecrement(token);
    }

    /** Waits until every request that entered before this call has exited. */
    void drain() {
        synchronized (drainLock) {
            long old = epoch.getAndIncrement();
            int base = ((int) (old & 1)) * STRIPES;
            for (int stripe = 0; stripe < STRIPES; stripe++) {
                int slot = (base + stripe) * SPACING;
                int spins = 0;
                while (counters.get(slot) != 0) {
                    if (++spins < 100) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.parkNanos(10_000);
                    }
                }
            }
        }
    }
}
