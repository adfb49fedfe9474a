package iommu.hw.internal;

import iommu.hw.SystemMemory;

/** What the unit's queues and tables share in reading memory: a queue region's check, and an entry's words. */
final class QueueMemory {
    private QueueMemory() {
    }

    /**
     * The descriptors a queue of 2^{@code sizeOrder} frames at {@code address} holds, {@code perFrame} a frame.
     *
     * @throws IllegalArgumentException naming the queue if the size order is outside 0..7 or the region is not
     *                                  4 KiB-aligned inside memory
     */
    static int entries(SystemMemory memory, String queue, long address, int sizeOrder, int perFrame) {
        if (sizeOrder < 0 || sizeOrder > 7) {
            throw new IllegalArgumentException(queue + " size order must be 0..7, not " + sizeOrder);
        }
        long bytes = 4096L << sizeOrder;
        if ((address & 0xFFF) != 0 || address < 0 || address + bytes > memory.size()) {
            throw new IllegalArgumentException(String.format("%s 0x%x (%d KiB) is not 4 KiB-aligned inside memory", queue,
                    address, bytes >> 10));
        }
        return perFrame << sizeOrder;
    }

    /** The {@code count} 64-bit words at {@code address}, in memory order. */
    static long[] words(SystemMemory memory, long address, int count) {
        long[] words = new long[count];
        for (int i = 0; i < count; i++) {
            words[i] = memory.readLong(address + 8L * i);
        }
        return words;
    }
}
