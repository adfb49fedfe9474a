package vidmm.internal;

import vidmm.VidMmException;
import vidmm.VidMmStatus;

/** VidMm's paging fence: values handed to paging operations, completed by the driver's interrupts. */
final class PagingFence {
    private long issued;
    private long completed;

    synchronized long next() {
        return ++issued;
    }

    synchronized void completed(long value) {
        completed = Math.max(completed, value);
        notifyAll();
    }

    /** Waits up to {@code timeoutMillis} for {@code value}; throws DRIVER_REFUSED naming {@code operation} if it never comes. */
    synchronized void await(long value, String operation, long timeoutMillis) {
        boolean done;
        try {
            done = Monitors.awaitUntil(this, () -> completed >= value, System.nanoTime() + timeoutMillis * 1_000_000L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VidMmException(VidMmStatus.DRIVER_REFUSED, operation + ": interrupted");
        }
        if (!done) {
            throw new VidMmException(VidMmStatus.DRIVER_REFUSED, operation + ": paging fence " + value
                    + " did not complete within " + timeoutMillis + " ms");
        }
    }
}
