package iommu.hw.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.StampedLock;

import iommu.hw.Invalidation;
import iommu.hw.PageSize;
import iommu.hw.PageTableWalker;
import iommu.hw.Pte;
import iommu.hw.Translation.Mapping;

/**
 * The IOTLB: a direct-mapped cache of (PASID, page) -> translation, indexed by the low bits of the
 * page number mixed with the PASID, so that consecutive pages of one PASID never collide.
 *
 * <p>Each slot is a tag word and a data word (a packed mapping, see {@link PageTableWalker}), side by
 * side in one array so that a lookup reads one cache line, and the {@link Mapping} value handed to
 * {@link #lookup} callers when the filler had one. Lookups are lock free: read the tag, read the data, read
 * the tag again; a store marks the slot {@link #BUSY} before it writes and publishes the tag last.
 * Fills hold one of {@link #STRIPES} read locks (one per thread stripe, so fills on different
 * threads do not contend); invalidation holds all of them as write locks, so a fill never lands
 * half way through an invalidation, and a fill whose walk started before an invalidation is dropped
 * (the generation check).
 *
 * <p>Beside it, a paging-structure cache of page-directory entries, as VT-d keeps beside its IOTLB:
 * (PASID, 2 MiB region) -> the page table's address and the rights of the levels above, so that a
 * miss in a region walked before reads one entry instead of four. It is filled and invalidated with
 * the IOTLB, under the same locks and by the same scopes (a range removes the regions it touches).
 */
final class Iotlb {
    static final long MISS = -1;
    private static final long VALID = 1L << 63;
    private static final long BUSY = 1;
    private static final int STRIPES = 16;
    /** Invalidate a range slot by slot up to this many 4 KiB pages; scan the whole table beyond. */
    private static final long PROBE_LIMIT = 256;

    // data word: a packed mapping (PageTableWalker): page frame address | rights | size
    static final long WRITABLE = PageTableWalker.PACKED_WRITABLE, USER = PageTableWalker.PACKED_USER,
            EXECUTABLE = PageTableWalker.PACKED_EXECUTABLE, DIRTY = PageTableWalker.PACKED_DIRTY;
    private static final int SIZE_SHIFT = PageTableWalker.PACKED_SIZE_SHIFT;
    private static final long ADDRESS_MASK = ~0xFFFL;

    private static final PageSize[] SIZES = PageSize.values();
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle MAPPINGS = MethodHandles.arrayElementVarHandle(Mapping[].class);

    /** Slot i: tag at [2i], data word at [2i+1]. */
    private final long[] words;
    /** The PDE cache, laid out as {@link #words}: tag, then page-table address | rights. */
    private final long[] pdes;
    private final int pdeMask;
    private final Mapping[] mappings;
    private final int mask;
    private final StampedLock[] stripes = new StampedLock[STRIPES];
    private volatile long generation;
    private volatile boolean has2M;
    private volatile boolean has1G;

    Iotlb(int entries) {
        if (entries < 1 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("IOTLB entries must be a power of two, not " + entries);
        }
        words = new long[2 * entries];
        mappings = new Mapping[entries];
        mask = entries - 1;
        int pdeEntries = Math.max(16, entries / 16);
        pdes = new long[2 * pdeEntries];
        pdeMask = pdeEntries - 1;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new StampedLock();
        }
    }

    /** Read before a walk; pass to {@link #store} so that a walk older than an invalidation does not fill. */
    long generation() {
        return generation;
    }

    private int index(int pasid, long va, PageSize size) {
        long page = va >>> size.shift();
        return (int) (page + pasid * 0x9E3779B1L + ((long) size.ordinal() << 20)) & mask;
    }

    private static long tag(int pasid, long va, PageSize size) {
        long pageBits = 48 - size.shift();
        return VALID | ((long) pasid << 38) | ((long) size.ordinal() << 36) | ((va >>> size.shift()) & ((1L << pageBits) - 1));
    }

    /** The data word of the page holding {@code va}, or {@link #MISS}. No allocation. */
    long lookupData(int pasid, long va) {
        if (!Pte.isCanonical(va)) {
            return MISS; // tags keep 48 address bits: only canonical addresses may match
        }
        long word = probe4k(pasid, va);
        if (word == MISS && has2M) {
            word = probeData(pasid, va, PageSize.SIZE_2M);
        }
        if (word == MISS && has1G) {
            word = probeData(pasid, va, PageSize.SIZE_1G);
        }
        return word;
    }

    /** The data word of the 4 KiB page holding {@code va}, or {@link #MISS} (also when a larger page maps it). */
    long lookup4k(int pasid, long va) {
        return Pte.isCanonical(va) ? probe4k(pasid, va) : MISS;
    }

    /**
     * {@link #probeData} for a 4 KiB page, with the index and tag of {@link #index} and {@link #tag}
     * written out (an enum's fields are loads to the JIT, not constants): the hit path of every port.
     */
    private long probe4k(int pasid, long va) {
        long page = va >>> 12;
        int i = (int) (page + pasid * 0x9E3779B1L) & mask;
        long key = VALID | ((long) pasid << 38) | (page & ((1L << 36) - 1));
        if ((long) LONGS.getAcquire(words, 2 * i) != key) {
            return MISS;
        }
        long word = (long) LONGS.getOpaque(words, 2 * i + 1);
        VarHandle.loadLoadFence();
        return (long) LONGS.getOpaque(words, 2 * i) == key ? word : MISS;
    }

    private long probeData(int pasid, long va, PageSize size) {
        int i = index(pasid, va, size);
        long key = tag(pasid, va, size);
        if ((long) LONGS.getAcquire(words, 2 * i) != key) {
            return MISS;
        }
        long word = (long) LONGS.getOpaque(words, 2 * i + 1);
        VarHandle.loadLoadFence();
        return (long) LONGS.getOpaque(words, 2 * i) == key ? word : MISS;
    }

    /**
     * How many pages from the 4 KiB page at {@code va} (page aligned) on are cached as 4 KiB entries
     * mapping to the frames from {@code pa} on, one after the other, each granting {@code need}: at
     * most {@code maxPages}. A DMA engine copies such a run at once. Consecutive pages of a PASID sit in
     * consecutive slots, so the scan reads one slot after the other. No allocation.
     */
    int contiguousPages(int pasid, long va, long pa, long need, int maxPages) {
        if (!Pte.isCanonical(va) || !Pte.isCanonical(va + ((long) maxPages << 12) - 1)) {
            return 0;
        }
        int i = index(pasid, va, PageSize.SIZE_4K);
        long key = tag(pasid, va, PageSize.SIZE_4K);
        long expected = pa & ADDRESS_MASK;
        int n = 0;
        while (n < maxPages) {
            if ((long) LONGS.getAcquire(words, 2 * i) != key) {
                break;
            }
            long word = (long) LONGS.getOpaque(words, 2 * i + 1);
            VarHandle.loadLoadFence();
            if ((long) LONGS.getOpaque(words, 2 * i) != key || (word & ADDRESS_MASK) != expected || (word & need) != need
                    || (word >>> SIZE_SHIFT & 3) != 0) {
                break;
            }
            n++;
            i = (i + 1) & mask;
            key++;
            expected += 4096;
        }
        return n;
    }

    private int pdeIndex(int pasid, long va) {
        return (int) ((va >>> 21) + pasid * 0x9E3779B1L) & pdeMask;
    }

    private static long pdeTag(int pasid, long va) {
        return VALID | ((long) pasid << 27) | ((va >>> 21) & ((1L << 27) - 1));
    }

    /** The cached PDE word of the 2 MiB region holding {@code va} (see PageTableWalker), or {@link #MISS}. */
    long lookupPde(int pasid, long va) {
        if (!Pte.isCanonical(va)) {
            return MISS;
        }
        int i = pdeIndex(pasid, va);
        long key = pdeTag(pasid, va);
        if ((long) LONGS.getAcquire(pdes, 2 * i) != key) {
            return MISS;
        }
        long word = (long) LONGS.getOpaque(pdes, 2 * i + 1);
        VarHandle.loadLoadFence();
        return (long) LONGS.getOpaque(pdes, 2 * i) == key ? word : MISS;
    }

    /** Caches a PDE word for the region holding {@code va}, unless an invalidation started since {@code startGeneration}. */
    void storePde(int pasid, long va, long word, long startGeneration) {
        StampedLock lock = stripes[(int) Thread.currentThread().getId() & (STRIPES - 1)];
        long stamp = lock.readLock();
        try {
            if (generation != startGeneration) {
                return;
            }
            int i = pdeIndex(pasid, va);
            long old = (long) LONGS.getAcquire(pdes, 2 * i);
            if (old == BUSY || !LONGS.compareAndSet(pdes, 2 * i, old, BUSY)) {
                return;
            }
            LONGS.setOpaque(pdes, 2 * i + 1, word);
            LONGS.setRelease(pdes, 2 * i, pdeTag(pasid, va));
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /**
     * The cached mapping of the page holding {@code va}, or {@code null}. No allocation, except once for
     * an entry a port filled (which keeps no mapping object): the object made is kept with the entry.
     */
    Mapping lookup(int pasid, long va) {
        if (!Pte.isCanonical(va)) {
            return null;
        }
        long startGeneration = generation;
        Mapping m = probe(pasid, va, PageSize.SIZE_4K, startGeneration);
        if (m == null && has2M) {
            m = probe(pasid, va, PageSize.SIZE_2M, startGeneration);
        }
        if (m == null && has1G) {
            m = probe(pasid, va, PageSize.SIZE_1G, startGeneration);
        }
        return m;
    }

    private Mapping probe(int pasid, long va, PageSize size, long startGeneration) {
        int i = index(pasid, va, size);
        long key = tag(pasid, va, size);
        if ((long) LONGS.getAcquire(words, 2 * i) != key) {
            return null;
        }
        Mapping m = (Mapping) MAPPINGS.getOpaque(mappings, i);
        long word = (long) LONGS.getOpaque(words, 2 * i + 1);
        VarHandle.loadLoadFence();
        if ((long) LONGS.getOpaque(words, 2 * i) != key) {
            return null;
        }
        if (m == null) {
            m = (Mapping) PageTableWalker.unpack(word, pasid, va, iommu.hw.Access.READ);
            store(pasid, va, word, m, startGeneration); // as a fill that began when this lookup did
        }
        return m;
    }

    /**
     * Caches the packed mapping {@code word} of the page holding {@code va} (and {@code mapping}, the same
     * as a value, or {@code null}) unless an invalidation started since {@code startGeneration}, or the
     * slot is busy.
     */
    void store(int pasid, long va, long word, Mapping mapping, long startGeneration) {
        PageSize size = PageTableWalker.sizeOf(word);
        long pageVa = va & ~size.offsetMask();
        StampedLock lock = stripes[(int) Thread.currentThread().getId() & (STRIPES - 1)];
        long stamp = lock.readLock();
        try {
            if (generation != startGeneration) {
                return;
            }
            int i = index(pasid, pageVa, size);
            long old = (long) LONGS.getAcquire(words, 2 * i);
            if (old == BUSY || !LONGS.compareAndSet(words, 2 * i, old, BUSY)) {
                return;
            }
            LONGS.setOpaque(words, 2 * i + 1, word);
            MAPPINGS.setOpaque(mappings, i, mapping);
            if (size == PageSize.SIZE_2M && !has2M) {
                has2M = true;
            } else if (size == PageSize.SIZE_1G && !has1G) {
                has1G = true;
            }
            LONGS.setRelease(words, 2 * i, tag(pasid, pageVa, size));
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /** Removes the entries in scope, excluding every fill meanwhile. */
    void invalidate(Invalidation scope) {
        long[] stamps = new long[STRIPES];
        for (int s = 0; s < STRIPES; s++) {
            stamps[s] = stripes[s].writeLock();
        }
        try {
            generation++;
            remove(scope);
        } finally {
            for (int s = STRIPES - 1; s >= 0; s--) {
                stripes[s].unlockWrite(stamps[s]);
            }
        }
    }

    private void remove(Invalidation scope) {
        removePdes(scope);
        if (scope instanceof Invalidation.OfRange r && r.length() / PageSize.SIZE_4K.bytes() <= PROBE_LIMIT) {
            for (PageSize size : SIZES) {
                long first = r.va() & ~size.offsetMask();
                long last = (r.va() + r.length() - 1) & ~size.offsetMask();
                for (long page = first; Long.compareUnsigned(page, last) <= 0; page += size.bytes()) {
                    removeIf(index(r.pasid(), page, size), scope);
                }
            }
            return;
        }
        for (int i = 0; i < mappings.length; i++) {
            removeIf(i, scope);
        }
        if (scope instanceof Invalidation.All) {
            has2M = false;
            has1G = false;
        }
    }

    private void removePdes(Invalidation scope) {
        if (scope instanceof Invalidation.OfRange r && r.length() <= PROBE_LIMIT * PageSize.SIZE_2M.bytes()) {
            long first = r.va() & ~PageSize.SIZE_2M.offsetMask();
            long last = (r.va() + r.length() - 1) & ~PageSize.SIZE_2M.offsetMask();
            for (long region = first; Long.compareUnsigned(region, last) <= 0; region += PageSize.SIZE_2M.bytes()) {
                int i = pdeIndex(r.pasid(), region);
                if (pdes[2 * i] == pdeTag(r.pasid(), region)) {
                    LONGS.setRelease(pdes, 2 * i, 0L);
                }
            }
            return;
        }
        for (int i = 0; i < pdes.length; i += 2) {
            long t = pdes[i];
            if ((t & VALID) == 0) {
                continue;
            }
            int pasid = (int) ((t >>> 27) & 0xFFFFF);
            boolean match;
            if (scope instanceof Invalidation.OfPasid p) {
                match = pasid == p.pasid();
            } else if (scope instanceof Invalidation.OfRange r) {
                long start = (((t & ((1L << 27) - 1)) << 21) << 16) >> 16; // sign-extend the 48-bit address
                match = pasid == r.pasid() && start < r.va() + r.length() && r.va() < start + PageSize.SIZE_2M.bytes();
            } else {
                match = true;
            }
            if (match) {
                LONGS.setRelease(pdes, i, 0L);
            }
        }
    }

    private void removeIf(int i, Invalidation scope) {
        long t = words[2 * i];
        if ((t & VALID) != 0 && matches(t, scope)) {
            LONGS.setRelease(words, 2 * i, 0L);
            MAPPINGS.setOpaque(mappings, i, (Mapping) null);
        }
    }

    private static boolean matches(long tag, Invalidation scope) {
        int pasid = (int) ((tag >>> 38) & 0xFFFFF);
        if (scope instanceof Invalidation.OfPasid p) {
            return pasid == p.pasid();
        }
        if (scope instanceof Invalidation.OfRange r) {
            PageSize size = SIZES[(int) ((tag >>> 36) & 3)];
            long page = tag & ((1L << (48 - size.shift())) - 1);
            long start = ((page << size.shift()) << 16) >> 16; // sign-extend the 48-bit address
            long end = start + size.bytes();
            return pasid == r.pasid() && start < r.va() + r.length() && r.va() < end;
        }
        return true;
    }

    /** Valid entries now (a scan; exact when nothing else runs). */
    int size() {
        int n = 0;
        for (int i = 0; i < words.length; i += 2) {
            n += (words[i] & VALID) != 0 ? 1 : 0;
        }
        return n;
    }
}
