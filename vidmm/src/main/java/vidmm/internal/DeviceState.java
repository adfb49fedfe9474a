package vidmm.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import vidmm.DeviceInfo;
import vidmm.FenceWait;

/**
 * One device: its driver handle, allocations, fences and submissions not yet completed (kept so
 * that an engine reset can resubmit other devices' work). Fence state is guarded by this object's
 * monitor, the rest by VidMm's lock.
 */
final class DeviceState {
    /** A submission not completed yet, and when it was submitted ({@code System.nanoTime()}). */
    record Pending(EngineNode node, List<DmaCommand> commands, long submittedNanos) {
    }

    final long handle;
    final int pid;
    final int pasid;
    final int adapter;
    /** The attached driver's handle of this device; changes when a driver is attached and the state replayed. */
    volatile long kmdHandle;
    final Map<Long, AllocationState> allocations = new LinkedHashMap<>();
    /** Allocations VidMm evicted to keep the budget, not yet reported by a D3DKMTQueryVideoMemoryInfo. */
    final java.util.Set<Long> evictedForBudget = new java.util.LinkedHashSet<>();
    private final TreeMap<Long, Pending> pending = new TreeMap<>();
    private DeviceInfo.Status status = DeviceInfo.Status.ACTIVE;
    private long submitted;
    private long completed;

    DeviceState(long handle, int pid, int pasid, long kmdHandle, int adapter) {
        this.handle = handle;
        this.adapter = adapter;
        this.pid = pid;
        this.pasid = pasid;
        this.kmdHandle = kmdHandle;
    }

    synchronized long nextFence(EngineNode node, List<DmaCommand> commands) {
        long fence = ++submitted;
        pending.put(fence, new Pending(node, List.copyOf(commands), System.nanoTime()));
        return fence;
    }

    /** Undoes {@link #nextFence} when the driver refused the submission. */
    synchronized void withdraw(long fence) {
        pending.remove(fence);
        submitted = fence - 1;
    }

    /** The driver says {@code fence} completed; false (and nothing changes) for a fence never submitted. */
    synchronized boolean completed(long fence) {
        if (fence > submitted) {
            return false;
        }
        completed = Math.max(completed, fence);
        pending.headMap(fence, true).clear();
        notifyAll();
        return true;
    }

    synchronized void fault() {
        status = DeviceInfo.Status.ERROR;
        pending.clear();
        notifyAll();
    }

    /** Waits until every submission completed (or the device faulted) or the deadline passes; returns whether idle. */
    synchronized boolean awaitIdle(long deadlineNanos) throws InterruptedException {
        while (!pending.isEmpty() && status == DeviceInfo.Status.ACTIVE) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000L));
        }
        return true;
    }

    /** Whether fence {@code fence} completed, or never will (the device is in error): nothing waits on it. */
    synchronized boolean done(long fence) {
        return completed >= fence || status != DeviceInfo.Status.ACTIVE;
    }

    synchronized boolean active() {
        return status == DeviceInfo.Status.ACTIVE;
    }

    /** The oldest submission still queued on {@code node} by an active device, or null. */
    synchronized Map.Entry<Long, Pending> oldestOn(EngineNode node) {
        if (status != DeviceInfo.Status.ACTIVE) {
            return null;
        }
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            if (e.getValue().node() == node) {
                return e;
            }
        }
        return null;
    }

    /** Submissions still queued on {@code node}, in fence order. */
    synchronized Map<Long, Pending> pendingOn(EngineNode node) {
        Map<Long, Pending> out = new LinkedHashMap<>();
        pending.forEach((fence, p) -> {
            if (p.node() == node) {
                out.put(fence, p);
            }
        });
        return out;
    }

    synchronized FenceWait await(long fence, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (completed < fence && status == DeviceInfo.Status.ACTIVE) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return FenceWait.TIMED_OUT;
            }
            wait(Math.max(1, left / 1_000_000L));
        }
        return completed >= fence ? FenceWait.COMPLETED : FenceWait.DEVICE_IN_ERROR;
    }

    synchronized DeviceInfo info() {
        return new DeviceInfo(handle, pid, pasid, status, submitted, completed, adapter);
    }
}
