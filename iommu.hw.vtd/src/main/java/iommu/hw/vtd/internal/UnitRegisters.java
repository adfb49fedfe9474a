package iommu.hw.vtd.internal;

import java.util.List;

import iommu.hw.RequesterId;
import iommu.hw.vtd.VtdRegisters;

/**
 * A unit's registers: what software programs of its tables, its invalidation queue and its page request
 * queue; and its device scope, to which devices are added as they are made ({@link #enter}).
 */
final class UnitRegisters implements VtdRegisters {
    private final TranslationTables tables;
    private final InvalidationQueue queue;
    private final PageRequestQueue prq;
    private final iommu.hw.arch.DeviceScope scope = new iommu.hw.arch.DeviceScope();

    UnitRegisters(TranslationTables tables, InvalidationQueue queue, PageRequestQueue prq) {
        this.tables = tables;
        this.queue = queue;
        this.prq = prq;
    }

    /**
     * What this unit supports: the invalidation queue, device TLBs, page requests, 20-bit PASIDs (PSS 19),
     * PFSID in device-TLB invalidations, scalable mode and first-level translation.
     */
    static final long EXTENDED_CAPABILITY = new iommu.hw.vtd.ExtendedCapability(true, true, true, 19, true, true, true, true).encode();

    @Override
    public long extendedCapability() {
        return EXTENDED_CAPABILITY;
    }

    @Override
    public List<RequesterId> deviceScope() {
        return scope.devices();
    }

    @Override
    public void setDeviceArrival(java.util.function.Consumer<RequesterId> arrival) {
        scope.setArrival(arrival);
    }

    /** {@code device} is behind the unit (see {@link iommu.hw.arch.DeviceScope#enter}). */
    void enter(RequesterId device) {
        scope.enter(device);
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

    /** Queue registers (IQH, IQT, PQH, PQT) hold byte offsets of 32-byte descriptors: index << 5. */
    private static final int DESCRIPTOR_SHIFT = 5;

    /** The descriptor index of a queue register's value; refuses reserved bits 4:0 set, naming the register. */
    private static int index(String register, int value) {
        if (value < 0 || (value & ((1 << DESCRIPTOR_SHIFT) - 1)) != 0) {
            throw new IllegalArgumentException(String.format("%s 0x%x: reserved bits 4:0 are set (it holds a byte offset"
                    + " of 32-byte descriptors)", register, value));
        }
        return value >>> DESCRIPTOR_SHIFT;
    }

    @Override
    public void setInvalidationQueueTail(int iqt) {
        queue.tail(index("IQT", iqt));
    }

    @Override
    public int invalidationQueueHead() {
        return queue.head() << DESCRIPTOR_SHIFT;
    }

    @Override
    public int invalidationQueueTail() {
        return queue.tail() << DESCRIPTOR_SHIFT;
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
        return prq.head() << DESCRIPTOR_SHIFT;
    }

    @Override
    public int pageRequestQueueTail() {
        return prq.tail() << DESCRIPTOR_SHIFT;
    }

    @Override
    public void setPageRequestQueueHead(int pqh) {
        prq.head(index("PQH", pqh));
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
