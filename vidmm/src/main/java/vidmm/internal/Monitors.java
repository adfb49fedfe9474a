package vidmm.internal;

import java.util.function.BooleanSupplier;

/** The one timed wait on an object's monitor that contexts, monitored fences and the paging fence share. */
final class Monitors {
    private Monitors() {
    }

    /**
     * Waits on {@code monitor}, which the caller holds, until {@code done} (read under it) or the
     * deadline ({@code System.nanoTime()}) passes; returns whether {@code done}.
     */
    static boolean awaitUntil(Object monitor, BooleanSupplier done, long deadlineNanos) throws InterruptedException {
        while (!done.getAsBoolean()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            monitor.wait(Math.max(1, left / 1_000_000L));
        }
        return true;
    }
}
