package iommu.hw.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import iommu.hw.Invalidation;
import iommu.hw.PageSize;
import iommu.hw.Translation.Mapping;

/**
 * The IOTLB: a direct-mapped cache of (PASID, page) -> {@link Mapping}, indexed by the low bits of
 * the page number mixed with the PASID, so that consecutive pages of one PASID never collide.
 *
 * <p>{@link #lookup} is lock free: one or three array loads of immutable entries. {@link #store}
 * and {@link #invalidate} must be called under the owner's lock, which orders them.
 */
final class Iotlb {
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Entry[].class);
    /** Invalidate a range page by page up to this many pages; scan the whole table beyond. */
    private static final long PROBE_LIMIT = 256;

    private record Entry(int pasid, Mapping mapping) {
    }

    private final Entry[] slots;
    private final int mask;
    private volatile boolean has2M;
    private volatile boolean has1G;
    private int count;

    Iotlb(int entries) {
        if (entries < 1 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("IOTLB entries must be a power of two, not " + entries);
        }
        slots = new Entry[entries];
        mask = entries - 1;
    }

    int capacity() {
        return slots.length;
    }

    private int index(int pasid, long va, PageSize size) {
        long page = va >>> size.shift();
        return (int) (page ^ (pasid * 0x9E3779B1L) ^ ((long) size.ordinal() << 20)) & mask;
    }

    /** The cached mapping of the page holding {@code va} for {@code pasid}, or {@code null}. */
    Mapping lookup(int pasid, long va) {
        Mapping m = probe(pasid, va, PageSize.SIZE_4K);
        if (m == null && has2M) {
            m = probe(pasid, va, PageSize.SIZE_2M);
        }
        if (m == null && has1G) {
            m = probe(pasid, va, PageSize.SIZE_1G);
        }
        return m;
    }

    private Mapping probe(int pasid, long va, PageSize size) {
        Entry e = (Entry) SLOTS.getAcquire(slots, index(pasid, va, size));
        if (e != null && e.pasid == pasid && e.mapping.size() == size && e.mapping.covers(va)) {
            return e.mapping;
        }
        return null;
    }

    void store(int pasid, Mapping mapping) {
        int i = index(pasid, mapping.pageVa(), mapping.size());
        if (slots[i] == null) {
            count++;
        }
        if (mapping.size() == PageSize.SIZE_2M) {
            has2M = true;
        } else if (mapping.size() == PageSize.SIZE_1G) {
            has1G = true;
        }
        SLOTS.setRelease(slots, i, new Entry(pasid, mapping));
    }

    /** Removes the entries in scope; returns how many were removed. */
    int invalidate(Invalidation scope) {
        if (scope instanceof Invalidation.OfRange r && r.length() / PageSize.SIZE_4K.bytes() <= PROBE_LIMIT) {
            int removed = 0;
            for (PageSize size : PageSize.values()) {
                long first = r.va() & ~size.offsetMask();
                long last = (r.va() + r.length() - 1) & ~size.offsetMask();
                for (long page = first; Long.compareUnsigned(page, last) <= 0; page += size.bytes()) {
                    removed += removeIf(index(r.pasid(), page, size), scope);
                }
            }
            return removed;
        }
        int removed = 0;
        for (int i = 0; i < slots.length; i++) {
            removed += removeIf(i, scope);
        }
        if (scope instanceof Invalidation.All) {
            has2M = false;
            has1G = false;
        }
        return removed;
    }

    private int removeIf(int i, Invalidation scope) {
        Entry e = slots[i];
        if (e == null || !matches(e, scope)) {
            return 0;
        }
        SLOTS.setRelease(slots, i, (Entry) null);
        count--;
        return 1;
    }

    private static boolean matches(Entry e, Invalidation scope) {
        if (scope instanceof Invalidation.OfPasid p) {
            return e.pasid == p.pasid();
        }
        if (scope instanceof Invalidation.OfRange r) {
            long start = e.mapping.pageVa();
            long end = start + e.mapping.size().bytes();
            return e.pasid == r.pasid() && start < r.va() + r.length() && r.va() < end;
        }
        return true;
    }

    int size() {
        return count;
    }
}
