package os.memmgr.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import iommu.hw.Pte;
import iommu.hw.SystemMemory;
import os.memmgr.MemoryException;
import os.memmgr.Status;

/**
 * One address space's paging: its working set, page-out to the pagefile and page-in. Guarded by the
 * owning address space's lock.
 *
 * <p>Software PTE formats (P=0, so the CPU's and the IOMMU's walks fault on them): {@link #HELD} keeps
 * a NOACCESS page's frame; {@link #TRANSITION} marks a frame on its way out; {@link #PAGED} has the
 * pagefile slot in the address bits. A page read back keeps its slot as a clean copy, so that if it
 * is trimmed again before anyone writes it (the dirty bit, which the CPU's and the IOMMU's walks set
 * on a write, is still clear) it is dropped without a write.
 *
 * <p>Page-out order (invariant 2): every victim's PTE becomes TRANSITION, the IOMMU is invalidated
 * for the span (which waits for DMA that could still use the old translations), and only then are
 * the bytes written and the frames freed.
 */
final class Pager {
    static final long HELD = 1L << 9;
    static final long TRANSITION = 1L << 10;
    static final long PAGED = 1L << 11;
    private static final long PAGE = 4096;

    /** What the pager needs of its address space. */
    interface Owner {
        /** Invalidates the IOMMU for every PASID bound to the address space. */
        void invalidate(long va, long bytes);

        long allocateFrame(FrameDatabase.State state);
    }

    private final SystemMemory memory;
    private final FrameDatabase frames;
    private final PagingFile pagefile;
    private final PageTable table;
    private final Owner owner;
    private final WorkingSet workingSet = new WorkingSet();
    /** Slots holding a current copy of a resident page, by page number (VA >>> 12: VAs hash into few buckets). */
    private final Map<Long, Long> copies = new HashMap<>();
    private final byte[] buffer = new byte[(int) PAGE];
    private long pagedOut;

    Pager(SystemMemory memory, FrameDatabase frames, PagingFile pagefile, PageTable table, Owner owner) {
        this.memory = memory;
        this.frames = frames;
        this.pagefile = pagefile;
        this.table = table;
        this.owner = owner;
    }

    static boolean isPaged(long pte) {
        return !Pte.isPresent(pte) && (pte & PAGED) != 0;
    }

    private static long slotOf(long pte) {
        return (pte & Pte.ADDRESS_MASK) >>> 12;
    }

    long pagedOut() {
        return pagedOut;
    }

    int workingSetSize() {
        return workingSet.size();
    }

    /** A private page got a frame (demand zero or NOACCESS kept): it may be trimmed from now on. */
    void resident(long va) {
        workingSet.add(va);
    }

    /**
     * Reads a paged-out page back into a new frame and maps it at {@code at} with {@code leafFlags}.
     * A clean page keeps its slot as its copy.
     *
     * @return the frame
     * @throws MemoryException NO_MEMORY when no frame can be had, IN_PAGE_ERROR when the read fails;
     *         the page then stays paged out
     */
    long pageIn(long va, long at, long pte, long leafFlags) {
        long slot = slotOf(pte);
        long frame = owner.allocateFrame(FrameDatabase.State.PRIVATE);
        try {
            pagefile.read(slot, buffer);
        } catch (IOException e) {
            frames.free(frame);
            throw new MemoryException(Status.IN_PAGE_ERROR, String.format(
                    "page at VA 0x%x could not be read from pagefile slot %d: %s", va, slot, e.getMessage()));
        }
        memory.write(frame << SystemMemory.FRAME_SHIFT, buffer, 0, buffer.length);
        memory.writeLong(at, Pte.make(frame << SystemMemory.FRAME_SHIFT, leafFlags));
        if ((leafFlags & Pte.DIRTY) == 0) {
            copies.put(va >>> 12, slot); // clean: the slot stays as the page's copy
        } else {
            pagefile.free(slot); // about to be written: the copy would be stale at once
        }
        pagedOut--;
        workingSet.add(va);
        return frame;
    }

    /**
     * A page is unmapped for good (decommit, release, exit): its slot and its copy go. Its working-set
     * entry goes with its range's ({@link #forgetResident}).
     */
    void forget(long va, long oldPte) {
        if (isPaged(oldPte)) {
            pagefile.free(slotOf(oldPte));
            pagedOut--;
            return;
        }
        Long copy = copies.isEmpty() ? null : copies.remove(va >>> 12);
        if (copy != null) {
            pagefile.free(copy);
        }
    }

    /** The pages of {@code [from, to)} are unmapped for good: they leave the working set, all at once. */
    void forgetResident(long from, long to) {
        workingSet.removeRange(from, to);
    }

    private record Victim(long va, long at, long pte) {
    }

    /**
     * Pages out up to {@code max} unpinned pages of the working set, giving each page whose accessed
     * bit is set a second chance (the bit is cleared). Returns how many left memory.
     */
    int trim(long max) {
        List<Victim> victims = new ArrayList<>();
        long low = Long.MAX_VALUE;
        long high = 0;
        for (long scanned = 0, limit = 2L * workingSet.size(); victims.size() < max && scanned < limit && workingSet.size() > 0; scanned++) {
            long va = workingSet.next();
            long at = table.pteAddress(va, false);
            long pte = memory.readLong(at);
            if (!Pte.isPresent(pte) && (pte & HELD) == 0) {
                throw new IllegalStateException(String.format("working-set page 0x%x has no frame: %s", va, Pte.describe(pte)));
            }
            long frame = Pte.address(pte) >>> SystemMemory.FRAME_SHIFT;
            if (frames.isPinned(frame)) {
                continue;
            }
            if ((pte & Pte.ACCESSED) != 0) {
                memory.compareAndSetLong(at, pte, pte & ~Pte.ACCESSED); // second chance; lost to a walk is fine
                continue;
            }
            if (!memory.compareAndSetLong(at, pte, Pte.address(pte) | TRANSITION)) {
                continue; // a walk set A or D meanwhile: the page is in use
            }
            frames.transition(frame);
            workingSet.remove(va);
            victims.add(new Victim(va, at, pte));
            low = Math.min(low, va);
            high = Math.max(high, va);
        }
        if (victims.isEmpty()) {
            return 0;
        }
        owner.invalidate(low, high + PAGE - low);
        int out = 0;
        for (Victim v : victims) {
            out += pageOut(v) ? 1 : 0;
        }
        return out;
    }

    /** Writes (if dirty) and frees one TRANSITION page; on failure the page is mapped again. */
    private boolean pageOut(Victim v) {
        long frame = Pte.address(v.pte) >>> SystemMemory.FRAME_SHIFT;
        boolean clean = Pte.isPresent(v.pte) && (v.pte & Pte.DIRTY) == 0;
        Long copy = copies.remove(v.va >>> 12);
        long slot;
        if (clean && copy != null) {
            slot = copy;
            pagefile.dropped();
        } else {
            slot = copy != null ? copy : pagefile.allocate();
            if (slot < 0 && releaseCopiesIfFull() > 0) {
                slot = pagefile.allocate();
            }
            if (slot < 0) {
                return restore(v, frame);
            }
            memory.read(frame << SystemMemory.FRAME_SHIFT, buffer, 0, buffer.length);
            try {
                pagefile.write(slot, buffer);
            } catch (IOException e) {
                pagefile.free(slot);
                return restore(v, frame);
            }
        }
        memory.writeLong(v.at, (slot << 12) | PAGED);
        frames.free(frame);
        pagedOut++;
        return true;
    }

    /** The page stays: its PTE back as it was (the IOMMU refills it on its next walk). */
    private boolean restore(Victim v, long frame) {
        memory.writeLong(v.at, v.pte);
        frames.untransition(frame);
        workingSet.add(v.va);
        return false;
    }

    /** Gives every copy's slot back (the address space is gone; paged-out pages were forgotten one by one). */
    void releaseCopies() {
        for (long slot : copies.values()) {
            pagefile.free(slot);
        }
        copies.clear();
        workingSet.clear();
    }

    /**
     * When the pagefile is full, the copies this process keeps of its resident pages are slots it can
     * give back (those pages are then written again when trimmed).
     */
    private int releaseCopiesIfFull() {
        if (copies.isEmpty() || pagefile.usedSlots() < pagefile.slots()) {
            return 0;
        }
        int n = copies.size();
        for (long slot : copies.values()) {
            pagefile.free(slot);
        }
        copies.clear();
        return n;
    }
}
