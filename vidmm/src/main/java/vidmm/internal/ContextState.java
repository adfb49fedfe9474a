package vidmm.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import kmd.api.DmaCommand;
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
 * rest is final or, for {@link #kmdHandle}, written under VidMm's lock when a driver is attached.
 */
final class ContextState {
    /** A submission not completed yet, and when it was submitted ({@code System.nanoTime()}). */
    record Pending(List<DmaCommand> commands, long submittedNanos) {
    }

    final long handle;
    final DeviceState device;
    final EngineNode node;
    /** The physical GPU of the adapter it runs on (0 unless the adapter is linked). */
    final int gpu;
    /** The attached driver's handle of this context; changes when a driver is attached and the state replayed. */
    volatile long kmdHandle;
    private final TreeMap<Long, Pending> pending = new TreeMap<>();
    private long submitted;
    private long completed;
    private boolean error;

    ContextState(long handle, DeviceState device, EngineNode node, int gpu, long kmdHandle) {
        this.handle = handle;
        this.device = device;
        this.node = node;
        this.gpu = gpu;
        this.kmdHandle = kmdHandle;
    }

    /** The next fence value of this context, with {@code commands} pending under it. */
    synchronized long nextFence(List<DmaCommand> commands) {
        long fence = ++submitted;
        pending.put(fence, new Pending(List.copyOf(commands), System.nanoTime()));
        return fence;
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
        pending.headMap(fence, true).clear();
        notifyAll();
        return true;
    }

    /** The context is in error (its device faulted or was cut off): nothing pending completes any more. */
    synchronized void fault() {
        error = true;
        pending.clear();
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

    /** Waits until nothing is pending (or the context is in error) or the deadline passes; returns whether idle. */
    synchronized boolean awaitIdle(long deadlineNanos) throws InterruptedException {
        while (!pending.isEmpty() && !error) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000L));
        }
        return true;
    }

    /** The oldest submission still queued, or null (also when in error: nothing of it runs on). */
    synchronized Map.Entry<Long, Pending> oldest() {
        return error ? null : pending.firstEntry();
    }

    /** Submissions still queued, in fence order. */
    synchronized Map<Long, Pending> pendingCopy() {
        return new LinkedHashMap<>(pending);
    }

    synchronized FenceWait await(long fence, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (completed < fence && !error) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return FenceWait.TIMED_OUT;
            }
            wait(Math.max(1, left / 1_000_000L));
        }
        return completed >= fence ? FenceWait.COMPLETED : FenceWait.DEVICE_IN_ERROR;
    }

    synchronized ContextInfo info() {
        return new ContextInfo(handle, device.handle, device.pid, node, gpu, submitted, completed,
                error ? ContextInfo.Status.ERROR : ContextInfo.Status.ACTIVE, device.adapter);
    }
}
