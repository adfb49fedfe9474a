package gpu.hw.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.StampedLock;

import iommu.hw.AtsDevice;
import iommu.hw.Translation;

/**
 * A physical GPU's device TLB (PCIe ATS address translation cache): 4 KiB translations by (PASID, page),
 * each with the rights the IOMMU granted (read; write once a write request was translated, so the
 * page's dirty bit is set), in a direct-mapped table ({@link #SLOTS} entries in a GPU). Engines look
 * up inside a read hold of {@link #inFlight} and keep it while they use what they found; an
 * invalidation removes the entries, then takes the write hold, so that it answers only once no request
 * that could still use one is in flight. A fill is refused when an invalidation began after its
 * translation request was sent. Lookups take no lock: each slot is a tag and a word side by side,
 * written under this object's monitor (the tag cleared first, the new tag published last) and read
 * as the IOTLB reads its slots (the tag, the word, the tag again), so a lookup never pairs one page's
 * tag with another's frame.
 */
final class DeviceTlb implements AtsDevice {
    static final long MISS = -1;
    static final long READ = 1;
    static final long WRITE = 2;
    static final int SLOTS = 1 << 16;
    private static final VarHandle ARRAY = MethodHandles.arrayElementVarHandle(long[].class);
    private static final long VALID = 1L << 63;

    /** Held (read) by every request from its lookup until its memory access is done. */
    final StampedLock inFlight = new StampedLock();
    /** Slot i: tag at [2i] (VALID | PASID << 36 | page), word at [2i+1] (frame | rights). */
    private final long[] table;
    private final int mask;
    private final AtomicLong generation = new AtomicLong();
    private int size;
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder requests = new LongAdder();
    final LongAdder invalidations = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    /** Fault injection: the GPU stops answering invalidations. */
    private volatile boolean unresponsive;

    DeviceTlb() {
        this(SLOTS);
    }

    /** A device TLB of {@code slots} entries, a power of two. */
    DeviceTlb(int slots) {
        if (slots < 1 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("device TLB slots must be a power of two, not " + slots);
        }
        table = new long[2 * slots];
        mask = slots - 1;
    }

    private static long tag(int pasid, long va) {
        return VALID | (long) pasid << 36 | (va >>> 12) & ((1L << 36) - 1);
    }

    /**
     * The table index of the slot of {@code va}'s page: consecutive pages of a PASID in consecutive slots
     * (a copy's look-ahead reads memory in order).
     */
    private int index(int pasid, long va) {
        return 2 * ((int) (((va >>> 12) & ((1L << 36) - 1)) + pasid * 0x9E3779B1L) & mask);
    }

    /**
     * The physical page of {@code va} if cached with {@code rights}, else {@link #MISS}. Call inside a read
     * hold. Not counted: a transfer adds its hits and misses to {@link #hits} and {@link #misses} once, at
     * its end (an engine's per-page path stays free of shared writes).
     */
    long lookup(int pasid, long va, long rights) {
        long tag = tag(pasid, va);
        int i = index(pasid, va);
        if ((long) ARRAY.getAcquire(table, i) != tag) {
            return MISS;
        }
        long word = (long) ARRAY.getOpaque(table, i + 1);
        VarHandle.loadLoadFence();
        if ((long) ARRAY.getOpaque(table, i) != tag || (word & rights) != rights) {
            return MISS;
        }
        return word & ~0xFFFL;
    }

    /** Writes slot {@code i}'s tag and word (under the monitor): the old tag goes before the word changes, the new one after. */
    private void put(int i, long tag, long word) {
        ARRAY.setOpaque(table, i, 0L);
        VarHandle.storeStoreFence();
        ARRAY.setOpaque(table, i + 1, word);
        ARRAY.setRelease(table, i, tag);
    }

    /** Read before sending a translation request; pass to {@link #fill}. */
    long generation() {
        return generation.get();
    }

    /** Caches the 4 KiB page of {@code va} from a mapping the IOMMU returned for {@code rights}, unless invalidated since. */
    void fill(int pasid, long va, Translation.Mapping m, long rights, long startGeneration) {
        long page = m.physicalAddress(va) & ~0xFFFL;
        long tag = tag(pasid, va);
        int i = index(pasid, va);
        synchronized (this) {
            if (generation.get() != startGeneration) {
                return;
            }
            long old = table[i] == tag ? table[i + 1] : 0;
            if (table[i] == 0) {
                size++;
            }
            put(i, tag, (old & ~0xFFFL) == page ? old | rights : page | rights);
        }
    }

    @Override
    public boolean invalidate(int pasid, long va, long length, long timeoutNanos) {
        invalidations.increment();
        if (unresponsive) {
            timeouts.increment();
            sleep(timeoutNanos);
            return false;
        }
        synchronized (this) {
            generation.incrementAndGet();
            long pages = length == Long.MAX_VALUE ? Long.MAX_VALUE : (length + 0xFFF) >>> 12;
            if (pages <= 4096) {
                for (long p = 0; p < pages; p++) {
                    long tag = tag(pasid, va + (p << 12));
                    int i = index(pasid, va + (p << 12));
                    if (table[i] == tag) {
                        put(i, 0, 0);
                        size--;
                    }
                }
            } else {
                long first = tag(pasid, length == Long.MAX_VALUE ? 0 : va);
                long last = length == Long.MAX_VALUE ? tag(pasid, -1L) : tag(pasid, va + length - 1);
                for (int i = 0; i < table.length; i += 2) {
                    long t = table[i];
                    if (t != 0 && t >= first && t <= last) {
                        put(i, 0, 0);
                        size--;
                    }
                }
            }
        }
        try { // every request that found a removed entry has finished with it
            long stamp = inFlight.tryWriteLock(timeoutNanos, TimeUnit.NANOSECONDS);
            if (stamp == 0) {
                timeouts.increment();
                return false;
            }
            inFlight.unlockWrite(stamp);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void sleep(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The GPU was reset: nothing is cached any more, and once this returns no request that found an
     * entry before is still in flight (so that the unit may accept the GPU's requests again).
     */
    void flush() {
        synchronized (this) {
            generation.incrementAndGet();
            for (int i = 0; i < table.length; i += 2) {
                if (table[i] != 0) {
                    put(i, 0, 0);
                }
            }
            size = 0;
        }
        long stamp = inFlight.writeLock();
        inFlight.unlockWrite(stamp);
    }

    void unresponsive(boolean on) {
        unresponsive = on;
    }

    synchronized int size() {
        return size;
    }
}
