package vidmm.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import kmd.api.EngineNode;
import vidmm.ContextInfo;
import vidmm.FenceWait;

/**
 * One WDDM context: a device's queue on one node of one physical GPU, with its own monitored fence
 * timeline. Submissions get fence values 1, 2, ... of this context only; the driver's report "fence
 * N of this context" completes this context's submissions up to N and nothing of any other context,
 * so that a copy on a copy context never completes a render of a render context early. Submissions
 * not completed yet are kept, so that an engine reset can resubmit them.
 *
 * <p>Fence state is guarded by this object's monitor (interrupts arrive on engine threads); the
 * rest is final. The attached driver's handle of it is in its {@link DriverHandles}.
 */
final class ContextState {
    /**
     * A submission not completed yet, when it was submitted ({@code System.nanoTime()}), and the
     * monitored fence value it signals when it completes ({@code signal} null if none).
     */
    record Pending(Work work, long submittedNanos, SyncObjectState signal, long signalValue) {
    }

    /** A step of the context's stream that VidMm held back behind a GPU wait: a wait, or a submission. */
    sealed interface Step permits GpuWait, Submit {
    }

    /** A GPU wait in the context's stream: what follows it goes to the driver once {@code sync} reaches {@code value}. */
    record GpuWait(SyncObjectState sync, long value) implements Step {
    }

    /** A held submission, for the driver now. */
    record Submit(long fence, Work work) implements Step {
    }

    final long handle;
    final DeviceState device;
    final EngineNode node;
    /** The physical GPU of the adapter it runs on (0 unless the adapter is linked). */
    final int gpu;
    private final TreeMap<Long, Pending> pending = new TreeMap<>();
    /**
     * The context's stream behind a GPU wait not yet satisfied: {@link GpuWait}s and the fences of
     * submissions VidMm holds back from the driver until the waits before them are satisfied.
     */
    private final java.util.ArrayDeque<Object> held = new java.util.ArrayDeque<>();
    /** Signals of completed submissions not handed on yet (see {@link #takeSignals}). */
    private final List<Pending> signals = new java.util.ArrayList<>();
    private long submitted;
    private long completed;
    private boolean error;

    ContextState(long handle, DeviceState device, EngineNode node, int gpu) {
        this.handle = handle;
        this.device = device;
        this.node = node;
        this.gpu = gpu;
    }

    /**
     * The next fence value of this context, with {@code work} pending under it; when {@code sync}
     * is given, the completion signals it to {@code value}.
     */
    synchronized long nextFence(Work work, SyncObjectState sync, long value) {
        long fence = ++submitted;
        pending.put(fence, new Pending(work, System.nanoTime(), sync, value));
        return fence;
    }

    /** Whether the stream waits on the GPU: a new submission is then held back, not given to the driver. */
    synchronized boolean blocked() {
        return !held.isEmpty();
    }

    /** A GPU wait for {@code sync} to reach {@code value} at the end of the stream. */
    synchronized void holdUntil(SyncObjectState sync, long value) {
        held.add(new GpuWait(sync, value));
    }

    /**
     * A wait for {@code sync} to reach {@code value} before anything the stream holds or will hold
     * (a driver change: nothing goes to the going driver, everything to the new one, in order).
     */
    synchronized void holdFirst(SyncObjectState sync, long value) {
        held.addFirst(new GpuWait(sync, value));
    }

    /** Submission {@code fence} is held back behind a GPU wait. */
    synchronized void hold(long fence) {
        held.add(fence);
    }

    /**
     * Takes from the head of the held stream what may go to the driver now, in order: the
     * submissions up to the first GPU wait whose value is not reached, which stays (and is returned
     * last, so that the caller waits for it again); empty when nothing is held.
     */
    synchronized List<Step> releasable() {
        List<Step> out = new java.util.ArrayList<>();
        while (!held.isEmpty()) {
            Object head = held.peek();
            if (head instanceof GpuWait w) {
                if (!w.sync().reached(w.value())) {
                    out.add(w);
                    return out;
                }
                held.poll();
            } else {
                long fence = (Long) held.poll();
                Pending p = pending.get(fence);
                if (p != null) {
                    out.add(new Submit(fence, p.work()));
                }
            }
        }
        return out;
    }

    /** The first submission held back, or 0: what the driver was never given starts there. */
    private long firstHeld() {
        for (Object o : held) {
            if (o instanceof Long fence) {
                return fence;
            }
        }
        return 0;
    }

    /** Whether {@code fence} is held back behind a GPU wait (the driver has not been given it). */
    synchronized boolean isHeld(long fence) {
        long first = firstHeld();
        return first != 0 && fence >= first;
    }

    /** Undoes {@link #nextFence} when the driver refused the submission. */
    synchronized void withdraw(long fence) {
        pending.remove(fence);
        submitted = fence - 1;
    }

    /**
     * The driver says this context's fence reached {@code fence}: its submissions up to it completed.
     * False (and nothing changes) for a fence never submitted on this context.
     */
    synchronized boolean completed(long fence) {
        if (fence > submitted || fence <= 0) {
            return false;
        }
        completed = Math.max(completed, fence);
        var done = pending.headMap(fence, true);
        for (Pending p : done.values()) {
            if (p.signal() != null) {
                signals.add(p);
            }
        }
        done.clear();
        notifyAll();
        return true;
    }

    /**
     * The monitored-fence signals of the submissions completed so far, taken: the caller sets them
     * outside this monitor, in completion order.
     */
    synchronized List<Pending> takeSignals() {
        List<Pending> out = List.copyOf(signals);
        signals.clear();
        return out;
    }

    /** The context is in error (its device faulted or was cut off): nothing pending completes any more. */
    synchronized void fault() {
        error = true;
        pending.clear();
        held.clear();
        notifyAll();
    }

    synchronized boolean inError() {
        return error;
    }

    /** Whether fence {@code fence} completed, or never will (the context is in error): nothing waits on it. */
    synchronized boolean done(long fence) {
        return completed >= fence || error;
    }

    /** Whether nothing of this context is queued. */
    synchronized boolean idle() {
        return pending.isEmpty();
    }

    /** Whether everything the driver was given completed (held submissions aside). */
    synchronized boolean givenIdle() {
        return pendingGiven().isEmpty();
    }

    /** As {@link #awaitIdle}, for what the driver was given only (a driver change waits for that). */
    synchronized boolean awaitGiven(long deadlineNanos) throws InterruptedException {
        return Monitors.awaitUntil(this, () -> pendingGiven().isEmpty() || error, deadlineNanos);
    }

    private Map<Long, Pending> pendingGiven() {
        long first = firstHeld();
        return first == 0 ? pending : pending.headMap(first, false);
    }

    /** Waits until nothing is pending (or the context is in error) or the deadline passes; returns whether idle. */
    synchronized boolean awaitIdle(long deadlineNanos) throws InterruptedException {
        return Monitors.awaitUntil(this, () -> pending.isEmpty() || error, deadlineNanos);
    }

    /** The oldest submission still queued, or null (also when in error: nothing of it runs on). */
    synchronized Map.Entry<Long, Pending> oldest() {
        return error ? null : pending.firstEntry();
    }

    /** Submissions the driver was given and has not completed, in fence order (not those held back). */
    synchronized Map<Long, Pending> pendingCopy() {
        return new LinkedHashMap<>(pendingGiven());
    }

    synchronized FenceWait await(long fence, long timeoutMillis) throws InterruptedException {
        if (!Monitors.awaitUntil(this, () -> completed >= fence || error, System.nanoTime() + timeoutMillis * 1_000_000L)) {
            return FenceWait.TIMED_OUT;
        }
        return completed >= fence ? FenceWait.COMPLETED : FenceWait.DEVICE_IN_ERROR;
    }

    synchronized ContextInfo info() {
        return new ContextInfo(handle, device.handle, device.pid, node, gpu, submitted, completed,
                error ? ContextInfo.Status.ERROR : ContextInfo.Status.ACTIVE, device.adapter);
    }
}
