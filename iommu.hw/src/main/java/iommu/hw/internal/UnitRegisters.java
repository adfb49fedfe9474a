package iommu.hw.internal;

import java.util.List;

import iommu.hw.vtd.RequesterId;
import iommu.hw.vtd.VtdRegisters;

/** A unit's registers: what software programs of its tables, its invalidation queue and its page request queue. */
final class UnitRegisters implements VtdRegisters {
    private final RequesterId requester;
    private final TranslationTables tables;
    private final InvalidationQueue queue;
    private final PageRequestQueue prq;

    UnitRegisters(RequesterId requester, TranslationTables tables, InvalidationQueue queue, PageRequestQueue prq) {
        this.requester = requester;
        this.tables = tables;
        this.queue = queue;
        this.prq = prq;
    }

    @Override
    public List<RequesterId> deviceScope() {
        return List.of(requester);
    }

    @Override
    public void setRootTable(long address) {
        tables.setRootTable(address);
    }

    @Override
    public long rootTable() {
        return tables.rootTable();
    }

    @Override
    public void setInvalidationQueue(long base, int sizeOrder) {
        queue.configure(base, sizeOrder);
    }

    @Override
    public long invalidationQueue() {
        return queue.base();
    }

    @Override
    public int queueEntries() {
        return queue.entries();
    }

    @Override
    public void setInvalidationQueueTail(int tail) {
        queue.tail(tail);
    }

    @Override
    public int invalidationQueueHead() {
        return queue.head();
    }

    @Override
    public int invalidationQueueTail() {
        return queue.tail();
    }

    @Override
    public void setPageRequestQueue(long base, int sizeOrder) {
        prq.configure(base, sizeOrder);
    }

    @Override
    public long pageRequestQueue() {
        return prq.base();
    }

    @Override
    public int pageRequestQueueEntries() {
        return prq.entries();
    }

    @Override
    public int pageRequestQueueHead() {
        return prq.head();
    }

    @Override
    public int pageRequestQueueTail() {
        return prq.tail();
    }

    @Override
    public void setPageRequestQueueHead(int head) {
        prq.head(head);
    }

    @Override
    public void setPageRequestInterrupt(Runnable interrupt) {
        prq.setInterrupt(interrupt);
    }

    @Override
    public String queueError() {
        return queue.error();
    }

    @Override
    public RequesterId invalidationTimeout() {
        return queue.timedOut();
    }

    @Override
    public void clearInvalidationTimeout() {
        queue.clearTimeout();
    }

    @Override
    public QueueStats queueStats() {
        return queue.stats(prq);
    }
}
