package iommu.hw.vtd.internal;

import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import iommu.hw.Access;
import iommu.hw.PageResponse;
import iommu.hw.RequesterId;
import iommu.hw.SystemMemory;
import iommu.hw.arch.PageRequestGroups;
import iommu.hw.vtd.Descriptor;
import iommu.hw.vtd.PageRequestDescriptor;

/**
 * A unit's page request queue in memory (PQA, PQH, PQT) and the requests waiting for their page group
 * response. A device's not-present page becomes a page request group: a descriptor per page at the
 * tail (the page, and the pages after it the device asks for too), one group index, the last descriptor
 * marked last in group; the unit then raises the page request interrupt (software drains the queue from its
 * head and answers each group through the invalidation queue) and the request waits for its response.
 * A full queue, or no group index free, is an overflow: counted, and the device is told to retry.
 */
final class PageRequestQueue extends RingQueue {
    /** Descriptors per 4 KiB of queue. */
    static final int PER_FRAME = 4096 / PageRequestDescriptor.BYTES;
    /** The outstanding groups (under this object's monitor). */
    private final PageRequestGroups groups = new PageRequestGroups();
    private final AtomicReference<Runnable> interrupt = new AtomicReference<>();
    final LongAdder requests = new LongAdder();
    final LongAdder overflows = new LongAdder();
    final LongAdder[] answered = {new LongAdder(), new LongAdder(), new LongAdder()};

    PageRequestQueue(SystemMemory memory) {
        super(memory, "page request queue", "PQA", PER_FRAME);
    }

    void setInterrupt(Runnable handler) {
        interrupt.set(handler);
    }

    /** PQH: software consumed the descriptors before {@code newHead}. */
    synchronized void head(int newHead) {
        head = checked("head", newHead);
    }

    /**
     * Device {@code requester}'s request for a not-present page, with the {@code pages - 1} pages after
     * it: queued as one group, the interrupt raised, and the group's response returned; {@code null} when
     * the queue had no room for the group (an overflow: the device retries).
     */
    PageResponse request(RequesterId requester, int pasid, long va, int pages, Access access) {
        int group;
        synchronized (this) {
            Runnable handler = interrupt.get();
            if (base < 0 || handler == null) {
                return PageResponse.FAILURE; // no software services page requests
            }
            group = (head - tail - 1 + entries) % entries < pages ? -1 : groups.open(requester.value());
            if (group < 0) {
                overflows.increment();
            } else {
                for (int p = 0; p < pages; p++) {
                    long[] words = new PageRequestDescriptor(requester.value(), pasid, true, access == Access.EXECUTE, false,
                            access != Access.WRITE, access == Access.WRITE, p == pages - 1, group,
                            (va & ~0xFFFL) + 4096L * p).encode();
                    for (int i = 0; i < 4; i++) {
                        memory.writeLong(base + (long) PageRequestDescriptor.BYTES * tail + 8L * i, words[i]);
                    }
                    tail = (tail + 1) % entries;
                    requests.increment();
                }
            }
        }
        Runnable handler = interrupt.get();
        if (handler != null) {
            handler.run(); // software drains the queue (this request's group among them) and answers
        }
        if (group < 0) {
            return null;
        }
        synchronized (this) {
            return groups.close(group);
        }
    }

    /** A page group response from the invalidation queue: the waiting request gets it. */
    synchronized void respond(Descriptor.PageGroupResponse r) {
        PageResponse response = switch (r.responseCode()) {
            case Descriptor.PageGroupResponse.SUCCESS -> PageResponse.SUCCESS;
            case Descriptor.PageGroupResponse.INVALID_REQUEST -> PageResponse.INVALID;
            default -> PageResponse.FAILURE;
        };
        if (groups.answer(r.groupIndex(), r.requesterId(), response)) { // else a stale or foreign response: dropped
            answered[response.ordinal()].increment();
        }
    }
}
