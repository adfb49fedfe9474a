package iommu.hw.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import iommu.hw.Invalidation;
import iommu.hw.PageSize;
import iommu.hw.Pte;

/**
 * The IOTLB: a direct-mapped cache of (PASID, page) -> translation, indexed by the low bits of the
 * page number mixed with the PASID, so that consecutive pages of one PASID never collide.
 *
 * <p>Each slot is a sequence word, a tag word and a data word (a packed mapping, see {@link
 * PackedWalk}), side by side in one array so that a lookup reads one cache line. The sequence is even
 * while the slot is at rest and odd while a store or a removal holds it, and every hold adds two in
 * all, so it never takes a value twice. Lookups are lock free ({@link #read}: the sequence, the tag,
 * the data, the sequence again, as a {@link java.util.concurrent.locks.StampedLock}'s optimistic read):
 * a lookup that saw the same even sequence on both sides read one entry's tag and data, whatever
 * stores came and went in the slot meanwhile (a tag read twice could be another store's again, the
 * same tag value with another entry's data between); a store holds the slot with a compare-and-set
 * of its sequence, writes, and releases it.
 *
 * <p>No fill may leave behind an entry an invalidation should have removed, and no lock orders them:
 * an invalidation first advances {@link #generation} (an atomic add), then removes what its scope
 * covers, waiting out any slot it finds held; a fill holds its slot first and only then compares the
 * generation with the one it read before its walk. If it still matches, the hold came before the
 * invalidation's advance, so the invalidation's scan finds the slot held or filled, and removes the
 * entry if it is in scope; if not, the walk may have read the table before the change the
 * invalidation announces, and the fill stores nothing. A fill is one compare-and-set.
 *
 * <p>Beside it, a paging-structure cache of page-directory entries, as VT-d keeps beside its IOTLB:
 * (PASID, 2 MiB region) -> the page table's address and the rights of the levels above, so that a
 * miss in a region walked before reads one entry instead of four. It is filled and invalidated with
 * the IOTLB, by the same protocol and the same scopes (a range removes the regions it touches).
 */
final class Iotlb {
    static final long MISS = -1;
    private static final long VALID = 1L << 63;
    /** Words a slot takes: its sequence, tag and data, and one unused so that two slots share a cache line. */
    private static final int SLOT = 4;
    /** Invalidate a range slot by slot up to this many 4 KiB pages; scan the whole table beyond. */
    private static final long PROBE_LIMIT = 256;

    // data word: a packed mapping (PackedWalk): page frame address | rights | size
    private static final long ADDRESS_MASK = ~0xFFFL;

    private static final PageSize[] SIZES = PageSize.values();
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle GENERATION;
    private static final VarHandle INVALIDATIONS;

    static {
        try {
            GENERATION = MethodHandles.lookup().findVarHandle(Iotlb.class, "generation", long.class);
            INVALIDATIONS = MethodHandles.lookup().findVarHandle(Iotlb.class, "invalidations", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Slot i: sequence at [SLOT i], tag at [SLOT i + 1], data word at [SLOT i + 2]. */
    private final long[] words;
    /** The PDE cache, laid out as {@link #words}: sequence, tag, then page-table address | rights. */
    private final long[] pdes;
    private final int pdeMask;
    private final int mask;
    /** Advanced by every invalidation before it removes anything and after (through {@link #GENERATION}). */
    private volatile long generation;
    private final Object invalidating = new Object();
    /** Invalidations so far: written under {@link #invalidating}, read opaquely (through {@link #INVALIDATIONS}). */
    private long invalidations;
    private volatile boolean has2M;
    private volatile boolean has1G;

    Iotlb(int entries) {
        if (entries < 1 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("IOTLB entries must be a power of two, not " + entries);
        }
        words = new long[SLOT * entries];
        mask = entries - 1;
        int pdeEntries = Math.max(16, entries / 16);
        pdes = new long[SLOT * pdeEntries];
        pdeMask = pdeEntries - 1;
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
        long word = lookup4k(pasid, va);
        return word != MISS ? word : lookupLarge(pasid, va);
    }

    /** The data word of the 2 MiB or 1 GiB page holding {@code va}, or {@link #MISS}: what a 4 KiB probe misses. */
    long lookupLarge(int pasid, long va) {
        if (!Pte.isCanonical(va)) {
            return MISS; // tags keep 48 address bits: only canonical addresses may match
        }
        long word = has2M ? probeData(pasid, va, PageSize.SIZE_2M) : MISS;
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
        return read(words, index4k(pasid, page), tag4k(pasid, page));
    }

    /** {@link #index} of the 4 KiB page {@code page} (a page number), the size's ordinal 0 written out. */
    private int index4k(int pasid, long page) {
        return (int) (page + pasid * 0x9E3779B1L) & mask;
    }

    /** {@link #tag} of the 4 KiB page {@code page} (a page number), its shift and ordinal written out. */
    private static long tag4k(int pasid, long page) {
        return VALID | ((long) pasid << 38) | (page & ((1L << 36) - 1));
    }

    private long probeData(int pasid, long va, PageSize size) {
        return read(words, index(pasid, va, size), tag(pasid, va, size));
    }

    /**
     * Slot {@code i}'s data word of {@code table} (the IOTLB, or the PDE cache) if its tag is {@code key},
     * else {@link #MISS}: the sequence, the tag, the word, the sequence again, so that a word is never
     * paired with another entry's tag (see the class comment).
     */
    private static long read(long[] table, int i, long key) {
        int at = SLOT * i;
        long sequence = (long) LONGS.getAcquire(table, at);
        if ((long) LONGS.getOpaque(table, at + 1) != key) {
            return MISS;
        }
        long word = (long) LONGS.getOpaque(table, at + 2);
        VarHandle.loadLoadFence();
        return (sequence & 1) == 0 && (long) LONGS.getOpaque(table, at) == sequence ? word : MISS;
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
            long word = read(words, i, key);
            if (word == MISS || (word & ADDRESS_MASK) != expected || (word & need) != need
                    || (word >>> PackedWalk.SIZE_SHIFT & 3) != 0) {
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

    /** The cached PDE word of the 2 MiB region holding {@code va} (see PackedWalk), or {@link #MISS}. */
    long lookupPde(int pasid, long va) {
        if (!Pte.isCanonical(va)) {
            return MISS;
        }
        return read(pdes, pdeIndex(pasid, va), pdeTag(pasid, va));
    }

    /** Caches a PDE word for the region holding {@code va}, unless an invalidation started since {@code startGeneration}. */
    void storePde(int pasid, long va, long word, long startGeneration) {
        int i = pdeIndex(pasid, va);
        long sequence = claim(pdes, i, startGeneration);
        if (sequence >= 0) {
            publish(pdes, i, sequence, pdeTag(pasid, va), word);
        }
    }

    /**
     * Holds slot {@code i} of {@code table} for a store: the even sequence it held it from, when no
     * invalidation began since {@code startGeneration}; else -1. A slot another store or a removal holds
     * is left alone; a hold that came after an invalidation's advance is let go at once, the slot as it
     * was (see the class comment).
     */
    private long claim(long[] table, int i, long startGeneration) {
        int at = SLOT * i;
        long sequence = (long) LONGS.getAcquire(table, at);
        if ((sequence & 1) != 0 || !LONGS.compareAndSet(table, at, sequence, sequence + 1)) {
            return -1;
        }
        if (generation != startGeneration) {
            LONGS.setRelease(table, at, sequence + 2);
            return -1;
        }
        return sequence;
    }

    /** Writes slot {@code i}'s entry and lets the slot go (held from {@code sequence} by {@link #claim}). */
    private static void publish(long[] table, int i, long sequence, long tag, long word) {
        int at = SLOT * i;
        LONGS.setOpaque(table, at + 1, tag);
        LONGS.setOpaque(table, at + 2, word);
        LONGS.setRelease(table, at, sequence + 2);
    }

    /**
     * Caches the packed mapping {@code word} of the page holding {@code va} unless an invalidation started
     * since {@code startGeneration}, or the slot is busy.
     */
    void store(int pasid, long va, long word, long startGeneration) {
        if ((word >>> PackedWalk.SIZE_SHIFT & 3) == 0) { // a 4 KiB page: index and tag as probe4k has them
            long page = va >>> 12;
            int i = index4k(pasid, page);
            long sequence = claim(words, i, startGeneration);
            if (sequence >= 0) {
                publish(words, i, sequence, tag4k(pasid, page), word);
            }
            return;
        }
        PageSize size = PackedWalk.sizeOf(word);
        long pageVa = va & ~size.offsetMask();
        int i = index(pasid, pageVa, size);
        long sequence = claim(words, i, startGeneration);
        if (sequence < 0) {
            return;
        }
        if (size == PageSize.SIZE_2M && !has2M) {
            has2M = true;
        } else if (size == PageSize.SIZE_1G && !has1G) {
            has1G = true;
        }
        publish(words, i, sequence, tag(pasid, pageVa, size), word);
    }

    /**
     * Removes the entries in scope; a fill that races with it either lands before and is removed, or drops
     * out. Invalidations run one at a time.
     */
    void invalidate(Invalidation scope) {
        synchronized (invalidating) {
            GENERATION.getAndAdd(this, 1L);
            try {
                remove(scope);
            } finally {
                GENERATION.getAndAdd(this, 1L);
                INVALIDATIONS.setOpaque(this, invalidations + 1);
            }
        }
    }

    /** Invalidations so far (an unlocked read: one in progress may not show yet). */
    long invalidations() {
        return (long) INVALIDATIONS.getOpaque(this);
    }

    private void remove(Invalidation scope) {
        removePdes(scope);
        if (scope instanceof Invalidation.OfRange r && r.length() / PageSize.SIZE_4K.bytes() <= PROBE_LIMIT) {
            for (PageSize size : SIZES) {
                long first = r.va() & ~size.offsetMask();
                long last = (r.va() + r.length() - 1) & ~size.offsetMask();
                for (long page = first; Long.compareUnsigned(page, last) <= 0; page += size.bytes()) {
                    removeIf(words, index(r.pasid(), page, size), scope, false);
                }
            }
            return;
        }
        for (int i = 0; i < words.length / SLOT; i++) {
            removeIf(words, i, scope, false);
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
                removeIf(pdes, pdeIndex(r.pasid(), region), scope, true);
            }
            return;
        }
        for (int i = 0; i < pdes.length / SLOT; i++) {
            removeIf(pdes, i, scope, true);
        }
    }

    /**
     * Empties slot {@code i} of {@code table} (the IOTLB, or the PDE cache) if its entry is in scope;
     * waits out a store in progress there, so that what it publishes is judged too.
     */
    private void removeIf(long[] table, int i, Invalidation scope, boolean pde) {
        int at = SLOT * i;
        for (int spins = 0; ; spins++) {
            // a volatile read: in the order of volatile accesses it comes after this invalidation's advance,
            // so it sees the hold of any fill that read the generation before that advance
            long sequence = (long) LONGS.getVolatile(table, at);
            if ((sequence & 1) != 0) {
                if (spins < 100) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield(); // the storing thread was descheduled between its hold and its publish
                }
                continue;
            }
            long t = (long) LONGS.getOpaque(table, at + 1);
            if ((t & VALID) == 0 || !(pde ? pdeMatches(t, scope) : matches(t, scope))) {
                return;
            }
            if (LONGS.compareAndSet(table, at, sequence, sequence + 1)) { // held: the tag read is still the slot's
                LONGS.setOpaque(table, at + 1, 0L);
                LONGS.setRelease(table, at, sequence + 2);
                return;
            }
        }
    }

    private static boolean pdeMatches(long t, Invalidation scope) {
        int pasid = (int) ((t >>> 27) & 0xFFFFF);
        if (scope instanceof Invalidation.OfPasid p) {
            return pasid == p.pasid();
        }
        if (scope instanceof Invalidation.OfRange r) {
            long start = (((t & ((1L << 27) - 1)) << 21) << 16) >> 16; // sign-extend the 48-bit address
            return pasid == r.pasid() && start < r.va() + r.length() && r.va() < start + PageSize.SIZE_2M.bytes();
        }
        return true;
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
        for (int i = 0; i < words.length; i += SLOT) {
            n += ((long) LONGS.getOpaque(words, i + 1) & VALID) != 0 ? 1 : 0;
        }
        return n;
    }
}
