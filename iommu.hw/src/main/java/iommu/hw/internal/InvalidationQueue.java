package iommu.hw.internal;

import java.util.concurrent.atomic.LongAdder;

import iommu.hw.SystemMemory;
import iommu.hw.vtd.Descriptor;
import iommu.hw.vtd.VtdRegisters;

/**
 * A unit's invalidation queue: the registers (IQA, IQH, IQT, the error record) and the processing of
 * descriptors in memory, in order, on the thread that writes the tail. What each descriptor does to the
 * caches is the unit's ({@link Target}); a descriptor that does not decode, or that the unit refuses,
 * stops the queue with the head on it.
 */
final class InvalidationQueue extends RingQueue {
    /** Descriptors per 4 KiB of queue. */
    static final int PER_FRAME = 4096 / Descriptor.BYTES;

    /** What the unit does with one descriptor; throws IllegalArgumentException to refuse it. */
    interface Target {
        void apply(Descriptor descriptor);
    }

    private final Target target;
    private String error;
    private final LongAdder[] byType = new LongAdder[16];
    private final LongAdder errors = new LongAdder();

    InvalidationQueue(SystemMemory memory, Target target) {
        super(memory, "invalidation queue", "IQA", PER_FRAME);
        this.target = target;
        for (int i = 0; i < byType.length; i++) {
            byType[i] = new LongAdder();
        }
    }

    @Override
    protected void reset() {
        error = null;
    }

    synchronized String error() {
        return error;
    }

    /** IQT: processes from the head up to {@code newTail}, unless the queue stopped on an error. */
    synchronized void tail(int newTail) {
        tail = checked("tail", newTail);
        while (head != tail && error == null) {
            long[] words = QueueMemory.words(memory, base + (long) Descriptor.BYTES * head, 4);
            try {
                Descriptor d = Descriptor.decode(words);
                target.apply(d);
                byType[d.type()].increment();
            } catch (IllegalArgumentException refused) {
                error = "descriptor " + head + ": " + refused.getMessage();
                errors.increment();
                return;
            }
            head = (head + 1) % entries;
        }
    }

    /** What the queue processed; {@code timeouts}: device-TLB invalidations a device did not answer in time; {@code prq}: the page requests'. */
    VtdRegisters.QueueStats stats(long timeouts, PageRequestQueue prq) {
        return new VtdRegisters.QueueStats(byType[Descriptor.CONTEXT_CACHE].sum(), byType[Descriptor.PASID_CACHE].sum(),
                byType[Descriptor.PASID_IOTLB].sum(), byType[Descriptor.PASID_DEVICE_TLB].sum(),
                byType[Descriptor.PAGE_GROUP_RESPONSE].sum(), byType[Descriptor.INVALIDATION_WAIT].sum(), errors.sum(), timeouts, prq.requests.sum(), prq.answered[0].sum(),
                prq.answered[1].sum(), prq.answered[2].sum(), prq.overflows.sum());
    }
}
