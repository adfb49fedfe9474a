package iommu.hw.vtd.internal;

import java.util.concurrent.atomic.AtomicLongArray;

import iommu.hw.RequesterId;
import iommu.hw.SystemMemory;
import iommu.hw.vtd.Descriptor;
import iommu.hw.vtd.VtdRegisters;

/**
 * A unit's invalidation queue: the registers (IQA, IQH, IQT, the error record, ITE and ITESID) and the
 * processing of descriptors in memory, in order, on the thread that writes the tail. What each
 * descriptor does to the caches is the unit's ({@link Descriptor.Handler}); a descriptor that does not decode, or
 * that the unit refuses, stops the queue with the head on it (IQE). A device-TLB invalidation a device
 * did not answer in time ({@link DeviceTimeout}) stops it too (ITE), with the head past that descriptor,
 * until software clears the time-out: nothing after it is processed before software has seen which
 * device timed out, and every wait descriptor pending then (between the head and the tail: a unit may
 * have fetched them all) is aborted, consumed later without its status write. That is what Linux's
 * qi_check_fault expects ("If ITE happens, all pending wait_desc commands are aborted"): it marks
 * those waits aborted and submits the batch again.
 */
final class InvalidationQueue extends RingQueue {
    /** Descriptors per 4 KiB of queue. */
    static final int PER_FRAME = 4096 / Descriptor.BYTES;

    /** Thrown by the unit's handler when a device did not answer a device-TLB invalidation in time (ITE). */
    static final class DeviceTimeout extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final RequesterId device;

        DeviceTimeout(RequesterId device) {
            super("device " + device + " did not answer a device-TLB invalidation", null, false, false);
            this.device = device;
        }
    }

    /** What the unit does with each descriptor; it throws IllegalArgumentException to refuse one. */
    private final Descriptor.Handler target;
    private String error;
    /** ITESID while ITE is set: the device that timed out; null while the queue runs. */
    private RequesterId timedOut;
    /** Wait descriptors a time-out aborted, by queue index (under the monitor). */
    private final java.util.BitSet aborted = new java.util.BitSet();
    /** The descriptor being processed, as read from memory (under the monitor). */
    private final long[] words = new long[Descriptor.WORDS];
    /**
     * What the queue processed: by descriptor type (0..15), then {@link #TIMEOUTS}, {@link #ERRORS},
     * {@link #ABORTED_WAITS}. Counted under the monitor (one writer at a time, no atomic add), read
     * opaquely by {@link #stats} without it, so that reading them never waits for a drain.
     */
    private final AtomicLongArray counts = new AtomicLongArray(19);
    private static final int TIMEOUTS = 16;
    private static final int ERRORS = 17;
    private static final int ABORTED_WAITS = 18;

    InvalidationQueue(SystemMemory memory, Descriptor.Handler target) {
        super(memory, "invalidation queue", "IQA", PER_FRAME);
        this.target = target;
    }

    /** Counts one in {@link #counts}; under the monitor. */
    private void count(int index) {
        counts.setOpaque(index, counts.getPlain(index) + 1);
    }

    @Override
    protected void reset() {
        error = null;
        timedOut = null;
        aborted.clear();
    }

    synchronized String error() {
        return error;
    }

    /** The device whose device-TLB invalidation timed out (ITE set), or null. */
    synchronized RequesterId timedOut() {
        return timedOut;
    }

    /** Software cleared ITE: the queue goes on from its head (the descriptor after the one that timed out). */
    synchronized void clearTimeout() {
        if (timedOut != null) {
            timedOut = null;
            process();
        }
    }

    /** IQT: processes from the head up to {@code newTail}, unless the queue stopped on an error or a time-out. */
    synchronized void tail(int newTail) {
        tail = checked("tail", newTail);
        process();
    }

    private void process() {
        while (head != tail && error == null && timedOut == null) {
            if (aborted.get(head)) {
                aborted.clear(head); // an aborted wait: consumed, no drain, no status write
                count(ABORTED_WAITS);
                head = (head + 1) % entries;
                continue;
            }
            QueueMemory.read(memory, base + (long) Descriptor.BYTES * head, words);
            try {
                count(Descriptor.decode(words, 0, target));
            } catch (IllegalArgumentException refused) {
                error = "descriptor " + head + ": " + refused.getMessage();
                count(ERRORS);
                return;
            } catch (DeviceTimeout late) {
                count(Descriptor.PASID_DEVICE_TLB);
                count(TIMEOUTS);
                timedOut = late.device;
                head = (head + 1) % entries;
                for (int i = head; i != tail; i = (i + 1) % entries) {
                    if (Descriptor.typeOf(memory.readLong(base + (long) Descriptor.BYTES * i)) == Descriptor.INVALIDATION_WAIT) {
                        aborted.set(i);
                    }
                }
                return;
            }
            head = (head + 1) % entries;
        }
    }

    /** What the queue processed; {@code prq}: the page requests'. */
    VtdRegisters.QueueStats stats(PageRequestQueue prq) {
        return new VtdRegisters.QueueStats(counts.getOpaque(Descriptor.CONTEXT_CACHE), counts.getOpaque(Descriptor.PASID_CACHE),
                counts.getOpaque(Descriptor.PASID_IOTLB), counts.getOpaque(Descriptor.PASID_DEVICE_TLB),
                counts.getOpaque(Descriptor.PAGE_GROUP_RESPONSE), counts.getOpaque(Descriptor.INVALIDATION_WAIT),
                counts.getOpaque(ERRORS), counts.getOpaque(TIMEOUTS), prq.requests.sum(), prq.answered[0].sum(),
                prq.answered[1].sum(), prq.answered[2].sum(), prq.overflows.sum(), counts.getOpaque(ABORTED_WAITS));
    }
}
