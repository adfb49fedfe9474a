package os.memmgr.internal;

import java.util.Arrays;

/**
 * A process's working set: the VAs of its resident private pages, with a clock hand that walks them
 * for trimming. The pages are a dense array (the clock's order); an open-addressing table of page
 * numbers finds a page's slot in it without boxing. Not thread safe: guarded by the owning address
 * space's lock.
 */
final class WorkingSet {
    private static final long EMPTY = -1;

    private long[] pages = new long[64];
    private int size;
    private int hand;
    /** Open addressing, linear probing: page number, or EMPTY; {@link #slots} holds its index in {@link #pages}. */
    private long[] keys = filled(128);
    private int[] slots = new int[128];

    private static long[] filled(int n) {
        long[] a = new long[n];
        Arrays.fill(a, EMPTY);
        return a;
    }

    private int probe(long key) {
        int mask = keys.length - 1;
        int i = (int) (key * 0x9E3779B97F4A7C15L >>> 40) & mask;
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    void add(long va) {
        long key = va >>> 12;
        int i = probe(key);
        if (keys[i] == key) {
            return;
        }
        if (size == pages.length) {
            pages = Arrays.copyOf(pages, size * 2);
        }
        keys[i] = key;
        slots[i] = size;
        pages[size++] = va;
        if (size * 2 > keys.length) {
            index(keys.length * 2);
        }
    }

    void remove(long va) {
        int i = probe(va >>> 12);
        if (keys[i] == EMPTY) {
            return;
        }
        int at = slots[i];
        delete(i);
        long last = pages[--size];
        if (at != size) {
            pages[at] = last;
            slots[probe(last >>> 12)] = at;
        }
    }

    /**
     * Removes every page of {@code [from, to)} (page-aligned VAs). A range that may hold a quarter of the
     * set or more (a region released whole, as Windows' MiDeleteVirtualAddresses removes its working-set
     * entries) is removed in one pass: the pages outside it kept in their clock order, the hand on the
     * same page, the table built again at its size; a smaller one page by page.
     */
    void removeRange(long from, long to) {
        long span = (to - from) >>> 12;
        if (span * 4 < size) {
            for (long va = from; va < to; va += 4096) {
                remove(va);
            }
            return;
        }
        int kept = 0;
        int keptBeforeHand = 0;
        for (int i = 0; i < size; i++) {
            long va = pages[i];
            if (va < from || va >= to) {
                if (i < hand) {
                    keptBeforeHand++;
                }
                pages[kept++] = va;
            }
        }
        if (kept == size) {
            return;
        }
        size = kept;
        hand = keptBeforeHand;
        index(keys.length);
    }

    /** Removes table entry {@code i}, moving later entries of its probe run back (no tombstones). */
    private void delete(int i) {
        int mask = keys.length - 1;
        keys[i] = EMPTY;
        for (int j = (i + 1) & mask; keys[j] != EMPTY; j = (j + 1) & mask) {
            long k = keys[j];
            int s = slots[j];
            keys[j] = EMPTY;
            int to = probe(k);
            keys[to] = k;
            slots[to] = s;
        }
    }

    /**
     * Builds the table again, of {@code capacity} entries (in the arrays it has when that is their size),
     * from the pages, each at its index in {@link #pages}.
     */
    private void index(int capacity) {
        if (keys.length == capacity) {
            Arrays.fill(keys, EMPTY); // a slot is read only where its key is set
        } else {
            keys = filled(capacity);
            slots = new int[capacity];
        }
        for (int i = 0; i < size; i++) {
            long key = pages[i] >>> 12;
            int at = probe(key);
            keys[at] = key;
            slots[at] = i;
        }
    }

    boolean contains(long va) {
        return keys[probe(va >>> 12)] != EMPTY;
    }

    int size() {
        return size;
    }

    /** The page under the clock hand, then moves the hand on; the set must not be empty. */
    long next() {
        if (hand >= size) {
            hand = 0;
        }
        return pages[hand++];
    }

    void clear() {
        keys = filled(128);
        slots = new int[128];
        pages = new long[64];
        size = 0;
        hand = 0;
    }
}
