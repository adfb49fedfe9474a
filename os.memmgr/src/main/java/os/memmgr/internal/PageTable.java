package os.memmgr.internal;

import java.util.ArrayList;
import java.util.List;

import iommu.hw.Pte;
import iommu.hw.SystemMemory;

/**
 * A process's x86-64 page table in system memory: the PML4 frame and the tables made below it.
 * Page-table frames are never paged out while the process lives. Guarded by the owning address
 * space's lock; the IOMMU and the CPU walk it concurrently, so leaf entries change atomically.
 */
final class PageTable {
    /**
     * The flags of an entry pointing at a table: every right (the leaf decides), and accessed from the
     * start, as Linux's _PAGE_TABLE makes them, so that a walk through it never needs to write it.
     */
    private static final long TABLE_FLAGS = Pte.PRESENT | Pte.WRITABLE | Pte.USER | Pte.ACCESSED;

    /** Allocates a frame of system memory, trimming working sets if none is free. */
    interface FrameSource {
        long allocate(FrameDatabase.State state);
    }

    private final SystemMemory memory;
    private final FrameSource frames;
    private final List<Long> tableFrames = new ArrayList<>();
    private final long root;
    /**
     * The page table (level 1) found last, by its 2 MiB region ({@code va >>> 21}; -1: none): pages are
     * mapped and unmapped one after the other, so most PTE lookups skip the three levels above.
     * Tables are never freed while the process lives; a large page's PDE forgets it.
     */
    private long cachedRegion = -1;
    private long cachedTable;
    /** The one word {@link #setLeaf} writes (under the address space's lock, as everything here). */
    private final long[] leaf = new long[1];

    PageTable(SystemMemory memory, FrameSource frames) {
        this.memory = memory;
        this.frames = frames;
        long rootFrame = frames.allocate(FrameDatabase.State.PAGE_TABLE);
        tableFrames.add(rootFrame);
        this.root = rootFrame << SystemMemory.FRAME_SHIFT;
    }

    long root() {
        return root;
    }

    /** Physical address of the PTE of {@code va}, making missing tables if {@code create}, else -1. */
    long pteAddress(long va, boolean create) {
        long region = va >>> 21;
        if (region == cachedRegion) {
            return cachedTable + 8L * Pte.index(va, 1);
        }
        long at = entryAddress(va, 1, create);
        if (at >= 0) {
            cachedRegion = region;
            cachedTable = at - 8L * Pte.index(va, 1);
        }
        return at;
    }

    /** Physical address of {@code va}'s entry at {@code level}, making missing tables above it if {@code create}, else -1. */
    private long entryAddress(long va, int level, boolean create) {
        long table = root;
        for (int l = 4; l > level; l--) {
            long entryAddress = table + 8L * Pte.index(va, l);
            long entry = memory.readLong(entryAddress);
            if (!Pte.isPresent(entry)) {
                if (!create) {
                    return -1;
                }
                long frame = frames.allocate(FrameDatabase.State.PAGE_TABLE);
                tableFrames.add(frame);
                entry = Pte.make(frame << SystemMemory.FRAME_SHIFT, TABLE_FLAGS);
                memory.writeLong(entryAddress, entry);
            }
            table = Pte.address(entry);
        }
        return table + 8L * Pte.index(va, level);
    }

    /**
     * Maps the 2 MiB page holding {@code va} with a page-directory leaf {@code entry} (a large page),
     * making the tables above it. The region must have no page table of its own in use.
     */
    void setLarge(long va, long entry) {
        cachedRegion = -1;
        memory.writeLong(entryAddress(va, 2, true), entry);
    }

    /** Clears the page-directory leaf of the large page holding {@code va}; returns the old entry. */
    long clearLarge(long va) {
        cachedRegion = -1;
        long at = entryAddress(va, 2, false);
        return at < 0 ? 0 : memory.getAndSetLong(at, 0);
    }

    /**
     * Clears the PTE of {@code va}, whose page goes (decommitted or released); returns the old entry (0 if
     * there was no table). A read, then a release store: not an exchange, since the only other writer of
     * a present entry is a walk setting its accessed or dirty bit, and those bits mean nothing for a page
     * that goes (a walk whose bit is lost this way read the entry before the store, so the invalidation
     * that follows an unmap removes what it cached, as it would after an exchange).
     */
    long clear(long va) {
        long at = pteAddress(va, false);
        if (at < 0) {
            return 0;
        }
        long old = memory.readLong(at);
        if (old != 0) {
            setLeaf(at, 0);
        }
        return old;
    }

    /**
     * Writes the PTE at {@code at} with one release store ({@link SystemMemory#writeLongs}), without the
     * full fence of {@link SystemMemory#writeLong}: for a PTE made present (a walker that reads it sees
     * the frame behind it as it was written; no translation of it can be cached yet) or cleared ({@link #clear}).
     */
    void setLeaf(long at, long entry) {
        leaf[0] = entry;
        memory.writeLongs(at, leaf);
    }

    /**
     * Counts the 4 KiB pages of {@code [va, end)} by what their entries hold; a missing table counts all
     * its pages at once as untouched, so that a sparse range costs what it maps.
     */
    os.memmgr.PageCounts count(long va, long end, java.util.function.LongPredicate pinnedFrame) {
        long resident = 0;
        long paged = 0;
        long none = 0;
        long pinned = 0;
        long large = 0;
        long p = va;
        while (p < end) {
            long table = root;
            for (int level = 4; level >= 1; level--) {
                long entry = memory.readLong(table + 8L * Pte.index(p, level));
                long span = 1L << (12 + 9 * (level - 1));
                long next = Math.min(end, (p & ~(span - 1)) + span);
                long pages = (next - p) >>> 12;
                boolean leaf = Pte.isPresent(entry) && (level == 1 || (entry & Pte.PAGE_SIZE) != 0);
                if (level == 1 || leaf || !Pte.isPresent(entry)) {
                    if (leaf) {
                        resident += pages;
                        if (level > 1) {
                            large += pages;
                        }
                        if (pinnedFrame.test(Pte.address(entry) >>> SystemMemory.FRAME_SHIFT)) {
                            pinned += pages; // a large page is pinned whole
                        }
                    } else if ((entry & Pager.PAGED) != 0) {
                        paged += pages;
                    } else if ((entry & (Pager.HELD | Pager.TRANSITION)) != 0) {
                        resident += pages;
                    } else {
                        none += pages;
                    }
                    p = next;
                    break;
                }
                table = Pte.address(entry);
            }
        }
        return new os.memmgr.PageCounts(resident, paged, none, pinned, large);
    }

    /** Frees every table frame (the process is gone and its PASID unbound). */
    void free(FrameDatabase db) {
        long[] frames = new long[tableFrames.size()];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = tableFrames.get(i);
        }
        db.free(frames, frames.length);
        tableFrames.clear();
        cachedRegion = -1;
    }
}
