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
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (completed < value) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new VidMmException(VidMmStatus.DRIVER_REFUSED, operation + ": paging fence " + value
                        + " did not complete within " + timeoutMillis + " ms");
            }
            try {
                wait(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VidMmException(VidMmStatus.DRIVER_REFUSED, operation + ": interrupted");
            }
        }
    }
}
