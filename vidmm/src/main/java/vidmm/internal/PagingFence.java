package vidmm.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Consumer;

import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * VidMm's paging fence: values handed to paging operations, completed by the driver's interrupts,
 * and what is to be done once a value completes (the release of an unmapped primary's frames and
 * aperture range), handed to the adapter's worker thread so that nobody waits for it under the
 * adapter's lock.
 */
final class PagingFence {
    private final Consumer<Runnable> later;
    private final TreeMap<Long, List<Runnable>> due = new TreeMap<>();
    private long issued;
    private long completed;

    /** {@code later} runs a task that came due on the adapter's worker thread (as a change of the adapter). */
    PagingFence(Consumer<Runnable> later) {
        this.later = later;
    }

    synchronized long next() {
        return ++issued;
    }

    void completed(long value) {
        List<Runnable> now = new ArrayList<>();
        synchronized (this) {
            completed = Math.max(completed, value);
            notifyAll();
            var head = due.headMap(completed, true);
            head.values().forEach(now::addAll);
            head.clear();
        }
        now.forEach(later); // outside this monitor: the adapter's lock comes before it
    }

    /**
     * Runs {@code task} once {@code value} completed: at once, on this thread, if it already did;
     * else later on the adapter's worker thread.
     */
    void whenCompleted(long value, Runnable task) {
        synchronized (this) {
            if (completed < value) {
                due.computeIfAbsent(value, v -> new ArrayList<>()).add(task);
                return;
            }
        }
        task.run();
    }

    /** The driver is stopped: what waited for its paging fences runs now (nothing of it is outstanding any more). */
    void abandon() {
        List<Runnable> now = new ArrayList<>();
        synchronized (this) {
            due.values().forEach(now::addAll);
            due.clear();
        }
        now.forEach(later);
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
