package iommu.hw.vtd.internal;

import iommu.hw.SystemMemory;

/** What the unit's queue and tables share in reading memory: an entry's words. */
final class QueueMemory {
    private QueueMemory() {
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
