package iommu.hw.vtd;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import iommu.hw.RequesterId;

/**
 * The registers software programs in one remapping unit (a subset of VT-d's): the root table address
 * (RTADDR with scalable-mode translation), the invalidation queue's address and size (IQA), tail (IQT)
 * and head (IQH), and the queue's error record. Thread safe.
 *
 * <p>This unit processes its invalidation queue on the thread that writes the tail, before
 * {@link #setInvalidationQueueTail} returns: descriptors in order, each wait descriptor's status write
 * once every descriptor before it has completed. (A real unit does it on its own while software polls
 * the status; software written as for one works here unchanged.) A descriptor the unit cannot accept
 * stops the queue there: the head stays on it and {@link #queueError()} says why, until software
 * programs the queue again. A device-TLB invalidation that a device did not answer in time stops it
 * too (an invalidation time-out, ITE): the head moves past that descriptor, {@link #invalidationTimeout()}
 * names the device, and the unit refuses the device's translated requests until the device resets;
 * nothing after the descriptor is processed until software {@linkplain #clearInvalidationTimeout clears} it.
 */
@ProviderType
public interface VtdRegisters {
    /**
     * ECAP_REG: what the unit supports ({@link ExtendedCapability#decode}); software reads it before it
     * uses scalable mode, PASIDs, page requests or device TLBs.
     */
    long extendedCapability();

    /**
     * The devices behind this unit (the DMAR device scope), in the order they arrived: the unit's own
     * test device first, then each device made with {@code DmaInitiator.device}. Software writes a
     * context entry for each.
     */
    List<RequesterId> deviceScope();

    /**
     * Tells {@code arrival} of each device that enters the scope from now on (a hot-plugged device), on the
     * thread that attaches it, before its first request; {@code null}: nobody. Software writes the
     * device's context entry there.
     */
    void setDeviceArrival(java.util.function.Consumer<RequesterId> arrival);

    /**
     * Sets the root table (RTADDR, TTM = scalable mode, then SRTP): a 4 KiB-aligned frame inside memory,
     * or -1 for none (every request then faults). The context and PASID caches are emptied.
     */
    void setRootTable(long address);

    /** The root table, or -1. */
    long rootTable();

    /**
     * Sets the invalidation queue (IQA, 256-bit descriptors): 2^{@code sizeOrder} frames of 4 KiB from
     * {@code base}, 128 descriptors each; head and tail go back to 0 and a queue error is cleared.
     *
     * @throws IllegalArgumentException for a base that is not a 4 KiB-aligned address inside memory or a
     *                                  size order outside 0..7
     */
    void setInvalidationQueue(long base, int sizeOrder);

    /** The queue's base (IQA), or -1 before it is set. */
    long invalidationQueue();

    /** Descriptors the queue holds (0 before it is set). */
    int queueEntries();

    /**
     * Writes the tail (IQT) as the register holds it: the byte offset of the next free descriptor in the
     * queue, bits 18:5 for 256-bit descriptors (Linux writes {@code index << qi_shift}, 5 in scalable
     * mode), bits 4:0 reserved. The unit processes the descriptors from its head up to it.
     *
     * @throws IllegalStateException if no queue is set; IllegalArgumentException for reserved bits set or
     *                               an offset outside the queue
     */
    void setInvalidationQueueTail(int iqt);

    /** IQH: the byte offset of the next descriptor the unit processes (bits 18:5). */
    int invalidationQueueHead();

    /** IQT, as {@link #setInvalidationQueueTail} takes it. */
    int invalidationQueueTail();

    /** Why the queue stopped (IQE, with the descriptor's index), or null while it runs. */
    String queueError();

    /** ITESID: the device whose device-TLB invalidation timed out while the queue is stopped on it (ITE), else null. */
    RequesterId invalidationTimeout();

    /** Clears ITE (FSTS): the unit processes the queue on from its head. */
    void clearInvalidationTimeout();

    /**
     * Sets the page request queue (PQA): 2^{@code sizeOrder} frames of 4 KiB from {@code base}, 128
     * page request descriptors each; head and tail go back to 0.
     */
    void setPageRequestQueue(long base, int sizeOrder);

    /** The page request queue's base, or -1 before it is set. */
    long pageRequestQueue();

    int pageRequestQueueEntries();

    /** PQH: the byte offset of the next descriptor software will read (bits 18:5; 4:0 reserved). */
    int pageRequestQueueHead();

    /** PQT: the byte offset where the unit writes the next page request (bits 18:5). */
    int pageRequestQueueTail();

    /**
     * Software read the descriptors before byte offset {@code pqh} (PQH).
     *
     * @throws IllegalArgumentException for reserved bits set or an offset outside the queue
     */
    void setPageRequestQueueHead(int pqh);

    /**
     * The page request interrupt: run by the unit after it queued a page request, on the requesting
     * thread; software drains the queue and answers each group with a page group response descriptor.
     * {@code null}: none (page requests then fail).
     */
    void setPageRequestInterrupt(Runnable interrupt);

    /** Descriptors processed so far, by kind, and waits completed. */
    QueueStats queueStats();

    /**
     * What the queue has done.
     *
     * @param contextCache  context-cache invalidations
     * @param pasidCache    PASID-cache invalidations
     * @param iotlb         PASID-based IOTLB invalidations
     * @param deviceTlb     PASID-based device-TLB invalidations
     * @param groupResponses page group responses
     * @param waits         invalidation waits completed
     * @param errors        descriptors refused (the queue stopped on each)
     * @param deviceTlbTimeouts device-TLB invalidations a device did not answer in time (ITE; the queue stopped
     *                      until software cleared it, and the unit refuses the device's translated requests
     *                      until it resets)
     * @param pageRequests  page requests the unit queued
     * @param groupsSucceeded page groups answered success
     * @param groupsInvalid page groups answered invalid request
     * @param groupsFailed  page groups answered response failure
     * @param overflows     page requests the full queue (or no free group index) turned away: the device retried
     * @param abortedWaits  wait descriptors a device-TLB invalidation time-out aborted (pending between the head
     *                      and the tail when it came): consumed without their status write
     */
    record QueueStats(long contextCache, long pasidCache, long iotlb, long deviceTlb, long groupResponses, long waits,
                      long errors, long deviceTlbTimeouts, long pageRequests, long groupsSucceeded, long groupsInvalid,
                      long groupsFailed, long overflows, long abortedWaits) {
    }
}
