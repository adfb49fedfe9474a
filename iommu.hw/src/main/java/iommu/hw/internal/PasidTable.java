package iommu.hw.internal;

import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

import iommu.hw.Pasid;

/**
 * The 20-bit PASID table, two levels as in VT-d scalable mode: a directory of 2^14 pointers to
 * tables of 64 entries, created on first bind. An entry holds the page-table root with bit 0 as
 * its present bit. Reads are lock free; writes are made under the IOMMU's lock.
 */
final class PasidTable {
    private static final int TABLE_BITS = 6;
    private static final long PRESENT = 1;
    private final AtomicReferenceArray<AtomicLongArray> directory =
            new AtomicReferenceArray<>((Pasid.MAX + 1) >>> TABLE_BITS);

    /** The root bound to {@code pasid}, or -1 if none. */
    long root(int pasid) {
        if (pasid < Pasid.MIN || pasid > Pasid.MAX) {
            return -1;
        }
        AtomicLongArray table = directory.get(pasid >>> TABLE_BITS);
        long entry = table == null ? 0 : table.get(pasid & ((1 << TABLE_BITS) - 1));
        return (entry & PRESENT) == 0 ? -1 : entry & ~PRESENT;
    }

    void set(int pasid, long root) {
        AtomicLongArray table = directory.get(pasid >>> TABLE_BITS);
        if (table == null) {
            table = new AtomicLongArray(1 << TABLE_BITS);
            directory.set(pasid >>> TABLE_BITS, table);
        }
        table.set(pasid & ((1 << TABLE_BITS) - 1), root | PRESENT);
    }

    void clear(int pasid) {
        AtomicLongArray table = directory.get(pasid >>> TABLE_BITS);
        if (table != null) {
            table.set(pasid & ((1 << TABLE_BITS) - 1), 0);
        }
    }

    SortedMap<Integer, Long> entries() {
        SortedMap<Integer, Long> bound = new TreeMap<>();
        for (int d = 0; d < directory.length(); d++) {
            AtomicLongArray table = directory.get(d);
            for (int i = 0; table != null && i < table.length(); i++) {
                long entry = table.get(i);
                if ((entry & PRESENT) != 0) {
                    bound.put((d << TABLE_BITS) | i, entry & ~PRESENT);
                }
            }
        }
        return bound;
    }
}
