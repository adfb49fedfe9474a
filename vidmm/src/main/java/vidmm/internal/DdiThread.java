package vidmm.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The thread a driver context's DDIs run on, with a hand-off cheap enough for every DDI call: the
 * caller publishes the call and spins briefly for the result before it parks, and the thread spins
 * briefly for the next call before it parks, so back-to-back calls (an Allocate is four DDIs) cost
 * a few hundred nanoseconds each rather than two thread wake-ups. One call at a time: its callers
 * hold the adapter's call order.
 */
final class DdiThread {
    /** How long either side spins before it parks. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    /**
     * One call: the DDI thread runs it ({@link #execute}), the caller waits for it ({@link #await});
     * each side writes only its own fields.
     */
    private static final class Task {
        private final DdiCall call;
        private final Thread caller;
        private Object result;
        private Throwable error;
        /** Set last by the DDI thread: {@code result} and {@code error} are final from then on. */
        private volatile boolean done;
        /** Set while the caller parks: only then does the DDI thread need to unpark it. */
        private volatile boolean callerParked;

        Task(DdiCall call, Thread caller) {
            this.call = call;
            this.caller = caller;
        }

        /** On the DDI thread: runs the call, publishes its outcome, and wakes the caller if it parked. */
        void execute() {
            try {
                result = call.run();
            } catch (Throwable t) {
                error = t;
            }
            done = true;
            if (callerParked) {
                LockSupport.unpark(caller);
            }
        }

        /**
         * On the caller's thread: spins for {@link #SPIN_NANOS}, then parks until the call is done or
         * {@code timeoutNanos} passed; returns its result, throws its exception, or returns {@code timedOut}.
         */
        Object await(long timeoutNanos, Object timedOut) throws Throwable {
            long start = System.nanoTime();
            long deadline = start + timeoutNanos;
            while (!done) {
                long now = System.nanoTime();
                if (now - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else if (now - deadline >= 0) {
                    return timedOut;
                } else {
                    callerParked = true;
                    if (!done) {
                        LockSupport.parkNanos(this, deadline - now);
                    }
                    callerParked = false;
                    if (Thread.interrupted()) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedException("interrupted while waiting for a DDI");
                    }
                }
            }
            if (error != null) {
                throw error;
            }
            return result;
        }
    }

    private final Thread thread;
    private volatile Task next;
    private volatile boolean closed;
    /** Set while the thread parks: only then does a caller need to unpark it (a syscall). */
    private volatile boolean parked;

    DdiThread(String name) {
        thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    boolean isCurrent() {
        return Thread.currentThread() == thread;
    }

    /**
     * Runs {@code call} on the thread; returns its result, throws its exception, or returns
     * {@code timedOut} (and leaves the call running) when it did not finish within {@code timeoutNanos}.
     */
    Object run(DdiCall call, long timeoutNanos, Object timedOut) throws Throwable {
        if (closed) {
            throw new IllegalStateException("the driver context was detached; no more DDI calls");
        }
        Task task = new Task(call, Thread.currentThread());
        next = task;
        if (parked) {
            LockSupport.unpark(thread);
        }
        return task.await(timeoutNanos, timedOut);
    }

    private void loop() {
        long idleSince = System.nanoTime();
        while (!closed) {
            Task task = next;
            if (task == null) {
                if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    if (next == null && !closed) {
                        LockSupport.park(this);
                    }
                    parked = false;
                }
                continue;
            }
            next = null;
            task.execute();
            idleSince = System.nanoTime();
        }
    }

    /** Ends the thread once its current call (if any) returns; a hung call keeps it, abandoned. */
    void close() {
        closed = true;
        LockSupport.unpark(thread);
    }

    /** Interrupts a hung call, in case the driver waits interruptibly. */
    void interrupt() {
        thread.interrupt();
    }
}
