package os.memmgr.internal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A process's working set: the VAs of its resident private pages, with a clock hand that walks them
 * for trimming. Not thread safe: guarded by the owning address space's lock.
 */
final class WorkingSet {
    private long[] pages = new long[64];
    private final Map<Long, Integer> index = new HashMap<>();
    private int size;
    private int hand;

    void add(long va) {
        if (index.putIfAbsent(va, size) != null) {
            return;
        }
        if (size == pages.length) {
            pages = Arrays.copyOf(pages, size * 2);
        }
        pages[size++] = va;
    }

    void remove(long va) {
        Integer at = index.remove(va);
        if (at == null) {
            return;
        }
        long last = pages[--size];
        if (at != size) {
            pages[at] = last;
            index.put(last, at);
        }
    }

    boolean contains(long va) {
        return index.containsKey(va);
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
        index.clear();
        size = 0;
        hand = 0;
    }
}
