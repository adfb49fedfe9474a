package os.memmgr.internal;

import iommu.hw.Access;
import iommu.hw.FaultKind;
import iommu.hw.PageResponse;
import iommu.hw.PageTableWalker;
import iommu.hw.Pte;
import iommu.hw.SystemMemory;
import iommu.hw.Translation;
import os.memmgr.AddressSpace;
import os.memmgr.MemoryException;
import os.memmgr.PageProtection;
import os.memmgr.Status;

/**
 * The leaf level of one address space: what a VAD says becomes PTEs. Makes pages present (demand
 * zero, NOACCESS frames kept, section frames, page-in), unmaps and reprotects them with the IOMMU
 * invalidated before a frame is freed, and counts resident pages. Guarded by the owning address
 * space's lock.
 */
final class PageMapper {
    private static final long PAGE_SIZE = AddressSpace.PAGE_SIZE;

    /** What the mapper needs of its address space. */

    private final SystemMemory memory;
    private final FrameDatabase frames;
    private final PageTable table;
    private final Pager pager;
    private final Pager.Owner owner;
    private long residentPages;

    PageMapper(SystemMemory memory, FrameDatabase frames, PagingFile pagefile, Pager.Owner owner) {
        this.memory = memory;
        this.frames = frames;
        this.owner = owner;
        this.table = new PageTable(memory, owner::allocateFrame);
        this.pager = new Pager(memory, frames, pagefile, table, owner);
    }

    long root() {
        return table.root();
    }

    PageTable table() {
        return table;
    }

    long residentPages() {
        return residentPages;
    }

    /** Large pages mapped ({@code pages} > 0) or unmapped (< 0), in 4 KiB pages. */
    void largeResident(long pages) {
        residentPages += pages;
    }

    Pager pager() {
        return pager;
    }

    /**
     * A page request (PRI): makes the page of {@code va} present. A committed page whose protection
     * has a present leaf but does not allow this access (a write to a read-only page, a fetch from a
     * no-execute one) is made present all the same, so that the IOMMU's retried walk reports the
     * permission fault the hardware reports for a resident page (WRITE_PROTECTED, EXECUTE_PROTECTED):
     * the fault kind does not depend on whether the page happened to be resident. INVALID only when
     * nothing may be present there (not committed, PAGE_NOACCESS).
     *
     * @throws MemoryException NO_MEMORY or IN_PAGE_ERROR when the page cannot be had
     */
    PageResponse resolve(Vad vad, long va, Access access) {
        if (map(vad, va, access) >= 0) {
            return PageResponse.SUCCESS;
        }
        return access != Access.READ && map(vad, va, Access.READ) >= 0 ? PageResponse.SUCCESS : PageResponse.INVALID;
    }

    /**
     * Makes the page of {@code va} present for {@code access}: demand zero, a NOACCESS frame kept, a
     * section frame, or a page-in. The new PTE is accessed (the access is about to happen, so
     * trimming gives the page a second chance) and, for a write, dirty (as the retried write would
     * make it).
     *
     * @return the physical address of {@code va}, or -1 if the VAD does not allow the access
     * @throws MemoryException NO_MEMORY or IN_PAGE_ERROR when the page cannot be had
     */
    private long map(Vad vad, long va, Access access) {
        if (vad == null || vad.large()) {
            return -1; // a large page is present from its allocation to its release: a fault there is refused
        }
        int page = vad.pageIndex(va);
        if (!vad.committed(page) || !Ranges.permits(vad.protection(page), access)) {
            return -1;
        }
        long pageVa = va & ~(PAGE_SIZE - 1);
        long flags = Ranges.leafFlags(vad.protection(page)) | Pte.ACCESSED | (access == Access.WRITE ? Pte.DIRTY : 0);
        long at = table.pteAddress(pageVa, true);
        long pte = memory.readLong(at);
        if (Pte.isPresent(pte)) {
            return Pte.address(pte) | (va & (PAGE_SIZE - 1));
        }
        long frame;
        if (Pager.isPaged(pte)) {
            frame = pager.pageIn(pageVa, at, pte, flags);
            residentPages++;
            return (frame << SystemMemory.FRAME_SHIFT) | (va & (PAGE_SIZE - 1));
        }
        if ((pte & Pager.HELD) != 0) {
            frame = Pte.address(pte) >>> SystemMemory.FRAME_SHIFT;
            flags |= pte & Pte.DIRTY;
        } else if (vad.section != null) {
            synchronized (vad.section) {
                frame = vad.section.frame(page, owner::allocateFrame);
            }
            residentPages++;
        } else {
            frame = owner.allocateFrame(FrameDatabase.State.PRIVATE);
            residentPages++;
            pager.resident(pageVa);
        }
        table.setLeaf(at, Pte.make(frame << SystemMemory.FRAME_SHIFT, flags)); // not present before: one release store
        return (frame << SystemMemory.FRAME_SHIFT) | (va & (PAGE_SIZE - 1));
    }

    /**
     * The physical address of {@code va} for a CPU access, faulting its page in; {@code vadOf} finds
     * the page's VAD. A PTE not present is a fault without a walk (the walk would stop there having
     * written nothing); any other goes through the walk, which sets its accessed and dirty bits. The
     * caller checked the page against the VADs: only resources (frames, pagefile reads) can fail here.
     */
    long cpuTranslate(String op, java.util.function.LongFunction<Vad> vadOf, long va, Access access) {
        Vad vad = vadOf.apply(va);
        if (vad != null && !vad.large()) {
            long at = table.pteAddress(va, false);
            if (at >= 0 && !Pte.isPresent(memory.readLong(at))) {
                // the CPU's walk would stop at this PTE with NOT_PRESENT and write nothing: the tables above it
                // are present, hold no reserved bit and are accessed from the start (PageTable)
                return faultedIn(op, map(vad, va, access), va, access, FaultKind.NOT_PRESENT);
            }
        }
        long walked = PageTableWalker.physicalAddress(memory, table.root(), va, access, true); // allocates nothing
        if (walked >= 0) {
            return walked;
        }
        FaultKind kind = PageTableWalker.faultOf(walked);
        return faultedIn(op, kind == FaultKind.NOT_PRESENT ? map(vad, va, access) : -1, va, access, kind);
    }

    /** {@code pa}, the page a fault of {@code kind} brought in; or, when none could be (-1), the access violation. */
    private static long faultedIn(String op, long pa, long va, Access access, FaultKind kind) {
        if (pa < 0) {
            throw new MemoryException(Status.ACCESS_VIOLATION, String.format("%s at VA 0x%x: %s", op, va,
                    new Translation.Fault(kind, 0, va, access)));
        }
        return pa;
    }

    /**
     * Clears the PTEs of the committed pages {@code [first, first+count)} of a VAD, invalidates the
     * IOMMU, and then frees the private frames and pagefile slots.
     *
     * @return how many of the pages were committed
     */
    long unmap(Vad vad, int first, long count) {
        long[] freed = new long[(int) Math.min(count, 512)]; // frame numbers, unboxed: an unmap frees many
        int freedCount = 0;
        boolean anyPresent = false;
        long committed = 0;
        for (int i = first; i < first + count; i++) {
            if (!vad.committed(i)) {
                continue;
            }
            committed++;
            long va = vad.base + (long) i * PAGE_SIZE;
            long pte = table.clear(va);
            anyPresent |= Pte.isPresent(pte);
            if (Pte.isPresent(pte) || (pte & Pager.HELD) != 0) {
                residentPages--;
                if (vad.section == null) {
                    if (freedCount == freed.length) {
                        freed = java.util.Arrays.copyOf(freed, freed.length * 2);
                    }
                    freed[freedCount++] = Pte.address(pte) >>> SystemMemory.FRAME_SHIFT;
                }
            }
            if (vad.section == null) {
                pager.forget(va, pte);
            }
        }
        if (vad.section == null && committed > 0) {
            pager.forgetResident(vad.base + (long) first * PAGE_SIZE, vad.base + (first + count) * PAGE_SIZE);
        }
        if (anyPresent) {
            owner.invalidate(vad.base + (long) first * PAGE_SIZE, count * PAGE_SIZE);
        }
        frames.free(freed, freedCount);
        return committed;
    }

    /**
     * Rewrites the PTE of {@code va}, if it holds a frame, with {@code protection} (a paged-out page
     * takes its protection from the VAD when it comes back); returns whether rights the IOMMU may
     * cache were reduced. A NOACCESS page keeps its frame and its dirty bit under {@link Pager#HELD}.
     */
    boolean reprotect(long va, PageProtection protection, PageProtection before) {
        long at = table.pteAddress(va, false);
        while (at >= 0) {
            long pte = memory.readLong(at);
            if (!Pte.isPresent(pte) && (pte & Pager.HELD) == 0) {
                return false;
            }
            long frameAddress = Pte.address(pte);
            long updated = protection == PageProtection.NOACCESS ? frameAddress | Pager.HELD | (pte & Pte.DIRTY)
                    : Pte.make(frameAddress, Ranges.leafFlags(protection)) | (pte & (Pte.ACCESSED | Pte.DIRTY));
            if (memory.compareAndSetLong(at, pte, updated)) {
                return Pte.isPresent(pte) && !protection.allows(before);
            }
        }
        return false;
    }

    /** Pages out up to {@code pages} of the working set; returns how many left memory. */
    long trim(long pages) {
        long out = pager.trim(pages);
        residentPages -= out;
        return out;
    }

    /** The address space is gone (every VAD unmapped): slots of copies and the page table go. */
    void free() {
        pager.releaseCopies();
        table.free(frames);
    }
}
