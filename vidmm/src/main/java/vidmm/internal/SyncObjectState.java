package vidmm.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import vidmm.FenceWait;

/**
 * A monitored fence (D3DKMTCreateSynchronizationObject, D3DDDI_MONITORED_FENCE): a 64-bit value
 * that only grows, kept in a page of its process that the CPU reads ({@link #va}) and the GPU
 * writes when a context signals it. Contexts of any of the process's devices, on any adapter,
 * signal it and wait for it; the CPU waits for it too. Its value is guarded by this object's monitor;
 * callbacks run outside it.
 */
final class SyncObjectState {
    final long handle;
    final int pid;
    /** Where the value lives in the process: the GPU's signal writes it there. */
    final long va;
    private long value;
    private boolean gone;
    /** Actions waiting for a value: a GPU wait's release, by the value it waits for. */
    private final TreeMap<Long, List<Runnable>> waiters = new TreeMap<>();

    SyncObjectState(long handle, int pid, long va) {
        this.handle = handle;
        this.pid = pid;
        this.va = va;
    }

    synchronized long value() {
        return value;
    }

    /** Whether the value reached {@code v}. */
    synchronized boolean reached(long v) {
        return value >= v;
    }

    /** The value reached {@code v} (a GPU signal completed, or the CPU signalled): waiters up to it go. */
    void signalled(long v) {
        List<Runnable> ready = new ArrayList<>();
        synchronized (this) {
            if (v <= value) {
                return;
            }
            value = v;
            var due = waiters.headMap(v, true);
            due.values().forEach(ready::addAll);
            due.clear();
            notifyAll();
        }
        ready.forEach(Runnable::run);
    }

    /** Runs {@code action} once the value reaches {@code v}: now, if it has. */
    void whenReached(long v, Runnable action) {
        synchronized (this) {
            if (value < v) {
                waiters.computeIfAbsent(v, k -> new ArrayList<>()).add(action);
                return;
            }
        }
        action.run();
    }

    /** The object is destroyed: CPU waiters wake and see it gone. */
    synchronized void destroyed() {
        gone = true;
        waiters.clear();
        notifyAll();
    }

    /** D3DKMTWaitForSynchronizationObjectFromCpu: until the value reaches {@code v}, or the time is up. */
    synchronized FenceWait await(long v, long timeoutMillis) throws InterruptedException {
        if (!Monitors.awaitUntil(this, () -> value >= v || gone, System.nanoTime() + timeoutMillis * 1_000_000L)) {
            return FenceWait.TIMED_OUT;
        }
        return value >= v ? FenceWait.COMPLETED : FenceWait.DEVICE_IN_ERROR;
    }
}
