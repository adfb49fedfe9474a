package kmd.conformance.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import kmd.api.callbacks.DxgkCallbacks;
import kmd.api.callbacks.InterruptNotification;

/**
 * The kit's DxgkCbNotifyInterrupt, as VidMm would check it: every interrupt must name a context the
 * kit created (or 0 for paging), a completion must not go back nor past the last fence submitted on
 * that context, and when a fence completes every probe registered for it (and below) runs at once,
 * on the interrupt's thread, so that "completed" is checked against the bytes at the moment it is
 * reported. What breaks a rule is kept as a violation, which fails the check.
 */
final class Interrupts implements DxgkCallbacks {
    /** Checks what a completed fence must have done; returns what is wrong, or null. */
    interface Probe {
        String check();
    }

    private final Object lock = new Object();
    /** context handle -> last fence the kit submitted (context 0: paging). */
    private final Map<Long, Long> submitted = new HashMap<>();
    private final Map<Long, Long> completed = new HashMap<>();
    private final Map<Long, TreeMap<Long, Probe>> probes = new HashMap<>();
    private final List<InterruptNotification.DmaPageFaulted> faults = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();

    Interrupts() {
        submitted.put(0L, 0L);
    }

    /** The kit created context {@code hContext}; its fences go on from {@code lastFence}. */
    void context(long hContext, long lastFence) {
        synchronized (lock) {
            if (hContext == 0 || submitted.containsKey(hContext)) {
                violations.add("CreateContext returned handle 0x" + Long.toHexString(hContext)
                        + (hContext == 0 ? ", which interrupts use for paging" : ", which another live context has"));
            }
            submitted.put(hContext, lastFence);
            completed.put(hContext, lastFence);
        }
    }

    /** The kit is about to submit {@code fence} on {@code hContext} (0: paging); {@code probe} may be null. */
    void submitting(long hContext, long fence, Probe probe) {
        synchronized (lock) {
            submitted.put(hContext, fence);
            if (probe != null) {
                probes.computeIfAbsent(hContext, c -> new TreeMap<>()).put(fence, probe);
            }
        }
    }

    /** The driver refused the submission after {@code lastFence}: it is not outstanding. */
    void withdrawn(long hContext, long lastFence) {
        synchronized (lock) {
            submitted.put(hContext, lastFence);
            TreeMap<Long, Probe> due = probes.get(hContext);
            if (due != null) {
                due.tailMap(lastFence, false).clear();
            }
        }
    }

    @Override
    public void notifyInterrupt(InterruptNotification n) {
        synchronized (lock) {
            Long last = submitted.get(n.contextHandle());
            if (last == null) {
                violations.add("an interrupt names context 0x" + Long.toHexString(n.contextHandle())
                        + ", which the kit never created or already destroyed: " + n);
                return;
            }
            if (n instanceof InterruptNotification.DmaPageFaulted f) {
                faults.add(f);
                lock.notifyAll();
                return;
            }
            if (n instanceof InterruptNotification.MonitoredFenceSignaled) {
                return; // a fence value written from a buffer: no submission's completion
            }
            long was = completed.getOrDefault(n.contextHandle(), 0L);
            if (n.fenceValue() > last) {
                violations.add("context 0x" + Long.toHexString(n.contextHandle()) + " reported fence " + n.fenceValue()
                        + " complete, but only " + last + " was submitted on it");
            } else if (n.fenceValue() < was) {
                violations.add("context 0x" + Long.toHexString(n.contextHandle()) + " reported fence " + n.fenceValue()
                        + " complete after " + was + ": fences of a context complete in order");
            } else {
                completed.put(n.contextHandle(), n.fenceValue());
                TreeMap<Long, Probe> due = probes.get(n.contextHandle());
                if (due != null) {
                    Map<Long, Probe> now = due.headMap(n.fenceValue(), true);
                    now.forEach((fence, probe) -> {
                        String wrong = probe.check();
                        if (wrong != null) {
                            violations.add("fence " + fence + " of context 0x" + Long.toHexString(n.contextHandle())
                                    + " was reported complete before its work was done: " + wrong);
                        }
                    });
                    now.clear();
                }
            }
            lock.notifyAll();
        }
    }

    /** Waits until {@code fence} of {@code hContext} is reported; fails the check after {@code millis}. */
    void await(long hContext, long fence, long millis, String what) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (lock) {
            while (completed.getOrDefault(hContext, 0L) < fence) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    failIfViolated();
                    throw new CheckFailed(what + ": fence " + fence + " of context 0x" + Long.toHexString(hContext)
                            + " was not reported complete within " + millis + " ms (last reported: "
                            + completed.getOrDefault(hContext, 0L) + ")");
                }
                waitNanos(left);
            }
        }
    }

    /** Waits for the {@code index}-th page fault (from 0); fails the check after {@code millis}. */
    InterruptNotification.DmaPageFaulted awaitFault(int index, long millis, String what) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (lock) {
            while (faults.size() <= index) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    failIfViolated();
                    throw new CheckFailed(what + ": no DMA_PAGE_FAULTED interrupt within " + millis + " ms");
                }
                waitNanos(left);
            }
            return faults.get(index);
        }
    }

    long completed(long hContext) {
        synchronized (lock) {
            return completed.getOrDefault(hContext, 0L);
        }
    }

    /** Fails the check with the first violation seen, if any. */
    void failIfViolated() {
        synchronized (lock) {
            if (!violations.isEmpty()) {
                throw new CheckFailed(violations.get(0));
            }
        }
    }

    private void waitNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.timedWait(lock, nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CheckFailed("interrupted while waiting");
        }
    }
}
