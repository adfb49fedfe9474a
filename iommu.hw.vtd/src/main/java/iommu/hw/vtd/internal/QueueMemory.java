package iommu.hw.vtd.internal;

import iommu.hw.SystemMemory;

/** What the unit's queue and tables share in reading memory: an entry's words. */
final class QueueMemory {
    private QueueMemory() {
    }

    /** The {@code count} 64-bit words at {@code address}, in memory order. */
    static long[] words(SystemMemory memory, long address, int count) {
        long[] words = new long[count];
        read(memory, address, words);
        return words;
    }

    /** The {@code words.length} 64-bit words at {@code address} into {@code words} (a buffer used again). */
    static void read(SystemMemory memory, long address, long[] words) {
        memory.readLongs(address, words, 0, words.length); // an entry never crosses a frame
    }
}
