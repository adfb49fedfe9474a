package iommu.hw.vtd.internal;

import iommu.hw.SystemMemory;

/**
 * A queue of descriptors in memory, as software programs one in a unit: its base and size (IQA, PQA), a
 * head and a tail, each a descriptor index. The invalidation queue (software writes, the unit reads) and
 * the page request queue (the unit writes, software reads) are both one; the monitor is this object's.
 */
abstract class RingQueue {
    protected final SystemMemory memory;
    private final String name;
    private final String addressRegister;
    private final int perFrame;
    protected long base = -1;
    protected int entries;
    protected int head;
    protected int tail;

    /** {@code name} and {@code addressRegister} name the queue in errors; {@code perFrame} descriptors fit 4 KiB. */
    RingQueue(SystemMemory memory, String name, String addressRegister, int perFrame) {
        this.memory = memory;
        this.name = name;
        this.addressRegister = addressRegister;
        this.perFrame = perFrame;
    }

    /**
     * Sets the queue to 2^{@code sizeOrder} frames from {@code address}, head and tail at 0.
     *
     * @throws IllegalArgumentException naming the queue if the size order is outside 0..7 or the region is not
     *                                  4 KiB-aligned inside memory (nothing changes)
     */
    synchronized void configure(long address, int sizeOrder) {
        if (sizeOrder < 0 || sizeOrder > 7) {
            throw new IllegalArgumentException(name + " size order must be 0..7, not " + sizeOrder);
        }
        long bytes = 4096L << sizeOrder;
        if ((address & 0xFFF) != 0 || address < 0 || address + bytes > memory.size()) {
            throw new IllegalArgumentException(String.format("%s 0x%x (%d KiB) is not 4 KiB-aligned inside memory", name,
                    address, bytes >> 10));
        }
        entries = perFrame << sizeOrder;
        base = address;
        head = 0;
        tail = 0;
        reset();
    }

    /** What else a new configuration clears (under the monitor). */
    protected void reset() {
    }

    /**
     * {@code index} as a head or tail software writes. @throws IllegalStateException if no queue is set;
     * IllegalArgumentException naming the register if the index is outside the queue
     */
    protected int checked(String register, int index) {
        if (base < 0) {
            throw new IllegalStateException("no " + name + " is set (" + addressRegister + ")");
        }
        if (index < 0 || index >= entries) {
            throw new IllegalArgumentException(name + " " + register + " " + index + " is outside the queue of " + entries
                    + " descriptors");
        }
        return index;
    }

    synchronized long base() {
        return base;
    }

    synchronized int entries() {
        return entries;
    }

    synchronized int head() {
        return head;
    }

    synchronized int tail() {
        return tail;
    }
}
