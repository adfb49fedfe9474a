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
 * The kit's DxgkCbNotifyInterrupt, as VidMm would check it. The kit, as VidMm's scheduler, gives
 * each submission the next SubmissionFenceId of its node on its physical GPU and maps a DMA_COMPLETED
 * back to the context and the fence of the context's own timeline: a completion must name an id the
 * kit gave and has not seen completed, and must not take its context back nor past the last fence
 * submitted there; a fault or monitored-fence interrupt must name a context the kit created (or 0).
 * When a fence completes every probe registered for it (and below) runs at once, on the interrupt's
 * thread, so that "completed" is checked against the bytes at the moment it is reported. What breaks
 * a rule is kept as a violation, which fails the check.
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
    /** A node of a physical GPU; one of its SubmissionFenceIds; and a context's fence an id was given for. */
    private record Node(kmd.api.EngineNode node, int gpu) {
    }

    private record Id(Node node, long id) {
    }

    private record Given(long context, long fence) {
    }

    /** Per node, the last SubmissionFenceId given; and what each outstanding id was given for. */
    private final Map<Node, Long> lastId = new HashMap<>();
    private final Map<Id, Given> given = new HashMap<>();

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

    /**
     * The kit is about to submit {@code fence} on {@code hContext} (0: paging, on the COPY node of GPU 0),
     * a context on {@code node} of {@code gpu}; {@code probe} may be null. Returns the SubmissionFenceId
     * to give the driver.
     */
    long submitting(long hContext, kmd.api.EngineNode node, int gpu, long fence, Probe probe) {
        synchronized (lock) {
            submitted.put(hContext, fence);
            if (probe != null) {
                probes.computeIfAbsent(hContext, c -> new TreeMap<>()).put(fence, probe);
            }
            Node n = new Node(node, gpu);
            long id = lastId.merge(n, 1L, Long::sum);
            given.put(new Id(n, id), new Given(hContext, fence));
            return id;
        }
    }

    /** The driver refused submission {@code id} (after {@code lastFence} of its context): it is not outstanding. */
    void withdrawn(long hContext, kmd.api.EngineNode node, int gpu, long id, long lastFence) {
        synchronized (lock) {
            given.remove(new Id(new Node(node, gpu), id));
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
            if (n instanceof InterruptNotification.DmaCompleted done) {
                Given what = given.remove(new Id(new Node(done.node(), done.engineOrdinal()), done.submissionFenceId()));
                if (what == null) {
                    violations.add("DMA_COMPLETED names SubmissionFenceId " + done.submissionFenceId() + " of node "
                            + done.node() + " engine " + done.engineOrdinal() + ", which the kit never gave there"
                            + " or saw completed already: " + n);
                    return;
                }
                completed(what.context(), what.fence());
                lock.notifyAll();
                return;
            }
            long context = n instanceof InterruptNotification.DmaPageFaulted f ? f.contextHandle()
                    : ((InterruptNotification.MonitoredFenceSignaled) n).contextHandle();
            if (!submitted.containsKey(context)) {
                violations.add("an interrupt names context 0x" + Long.toHexString(context)
                        + ", which the kit never created or already destroyed: " + n);
                return;
            }
            if (n instanceof InterruptNotification.DmaPageFaulted f) {
                faults.add(f);
                lock.notifyAll();
            }
            // a monitored fence written from a buffer: no submission's completion
        }
    }

    /** Fence {@code fence} of {@code context} was reported complete: checked against the context's timeline, then its probes run. */
    private void completed(long context, long fence) {
        long last = submitted.getOrDefault(context, 0L);
        long was = completed.getOrDefault(context, 0L);
        if (fence > last) {
            violations.add("context 0x" + Long.toHexString(context) + " reported fence " + fence
                    + " complete, but only " + last + " was submitted on it");
        } else if (fence < was) {
            violations.add("context 0x" + Long.toHexString(context) + " reported fence " + fence
                    + " complete after " + was + ": fences of a context complete in order");
        } else {
            completed.put(context, fence);
            TreeMap<Long, Probe> due = probes.get(context);
            if (due != null) {
                Map<Long, Probe> now = due.headMap(fence, true);
                now.forEach((f, probe) -> {
                    String wrong = probe.check();
                    if (wrong != null) {
                        violations.add("fence " + f + " of context 0x" + Long.toHexString(context)
                                + " was reported complete before its work was done: " + wrong);
                    }
                });
                now.clear();
            }
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
