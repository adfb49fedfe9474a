package iommu.hw.arch;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

import iommu.hw.Pasid;

/**
 * A unit's cache of what its architecture's tables give a PASID: the first-level table (PML4) of each
 * PASID whose entry it read from memory (VT-d: the PASID-table entry; AMD-Vi: the GCR3 table entry),
 * two levels (2^14 arrays of 64, made on first fill). Only present, valid entries are cached; an entry
 * leaves only by the architecture's invalidation command. Lookups are lock free; a fill is refused when
 * an invalidation started after the entry was read from memory, so that a stale entry is never cached
 * again.
 */
public final class PasidCache {
    public static final long MISS = -1;
    private static final int TABLE_BITS = 6;
    private static final long VALID = 1;
    private static final int DIRECTORY = (Pasid.MAX + 1) >>> TABLE_BITS;
    /** Replaced whole by {@link #invalidateAll} (a new array is zeroed memory; clearing 2^14 slots is not). */
    private volatile AtomicReferenceArray<AtomicLongArray> directory = new AtomicReferenceArray<>(DIRECTORY);
    private final AtomicLong generation = new AtomicLong();

    /** The cached first-level table of {@code pasid}, or {@link #MISS}. */
    public long root(int pasid) {
        AtomicLongArray table = directory.get(pasid >>> TABLE_BITS);
        long entry = table == null ? 0 : table.get(pasid & ((1 << TABLE_BITS) - 1));
        return (entry & VALID) == 0 ? MISS : entry & ~VALID;
    }

    /** Read before reading an entry from memory; pass to {@link #fill}. */
    public long generation() {
        return generation.get();
    }

    /** Caches {@code root} for {@code pasid} unless an invalidation started since {@code startGeneration}. */
    public synchronized void fill(int pasid, long root, long startGeneration) {
        if (generation.get() != startGeneration) {
            return;
        }
        AtomicReferenceArray<AtomicLongArray> tables = directory;
        AtomicLongArray table = tables.get(pasid >>> TABLE_BITS);
        if (table == null) {
            table = new AtomicLongArray(1 << TABLE_BITS);
            tables.set(pasid >>> TABLE_BITS, table);
        }
        table.set(pasid & ((1 << TABLE_BITS) - 1), root | VALID);
    }

    public synchronized void invalidate(int pasid) {
        generation.incrementAndGet();
        AtomicLongArray table = directory.get(pasid >>> TABLE_BITS);
        if (table != null) {
            table.set(pasid & ((1 << TABLE_BITS) - 1), 0);
        }
    }

    public synchronized void invalidateAll() {
        generation.incrementAndGet();
        directory = new AtomicReferenceArray<>(DIRECTORY);
    }

    /** Entries cached now (a scan). */
    public int size() {
        int n = 0;
        AtomicReferenceArray<AtomicLongArray> tables = directory;
        for (int d = 0; d < tables.length(); d++) {
            AtomicLongArray table = tables.get(d);
            for (int i = 0; table != null && i < table.length(); i++) {
                n += (table.get(i) & VALID) != 0 ? 1 : 0;
            }
        }
        return n;
    }
}
