package os.memmgr.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import iommu.hw.Access;
import iommu.hw.FaultKind;
import iommu.hw.Invalidation;
import iommu.hw.Iommu;
import iommu.hw.PageResponse;
import iommu.hw.PageTableWalker;
import iommu.hw.Pte;
import iommu.hw.SystemMemory;
import iommu.hw.Translation;
import os.memmgr.AddressSpace;
import os.memmgr.MemoryException;
import os.memmgr.PageProtection;
import os.memmgr.PinnedPages;
import os.memmgr.ProcessInfo;
import os.memmgr.RegionInfo;
import os.memmgr.Status;

/**
 * One process's address space: its VADs, its page table ({@link PageTable}) and its paging
 * ({@link Pager}). Every method runs under {@link #lock}; the IOMMU's DMA never takes it, so
 * invalidating (which waits for DMA in flight) under it cannot deadlock. The lock is a
 * {@link ReentrantLock} so that a trimmer short of frames can try it without waiting.
 *
 * <p>A PTE of a NOACCESS page keeps its frame (and its dirty bit) with P=0 and {@link Pager#HELD}
 * set, so that changing the protection back finds the same bytes.
 */
final class ProcessAddressSpace implements AddressSpace {
    private static final int MAX_CPU_ACCESS = 64 << 20;

    private final int pid;
    private final String name;
    private final Kernel kernel;
    private final SystemMemory memory;
    private final FrameDatabase frames;
    private final Iommu iommu;
    private final CommitCharge commit;
    private final ReentrantLock lock = new ReentrantLock();
    private final PageTable table;
    private final Pager pager;
    private final TreeMap<Long, Vad> vads = new TreeMap<>();
    private final Map<Long, PinnedPages> pins = new HashMap<>();
    private int pasid;
    private boolean terminated;
    private long committedPages;
    private long residentPages;
    private long chargedPages;

    /** What an address space needs of the memory manager that owns it. */
    interface Kernel {
        SystemMemory memory();

        FrameDatabase frameDatabase();

        Iommu iommu();

        PagingFile pagingFile();

        CommitCharge commitCharge();

        /** A frame for {@code requester}, trimming working sets (its own included) if frames are short. */
        long allocateFrame(FrameDatabase.State state, ProcessAddressSpace requester);

        Section section(long handle);

        void sectionUnmapped(Section section);

        int allocatePasid();

        void pasidBound(int pasid, ProcessAddressSpace space);

        void pasidUnbound(int pasid);

        long nextPinHandle();
    }

    ProcessAddressSpace(int pid, String name, Kernel kernel) {
        this.pid = pid;
        this.name = name;
        this.kernel = kernel;
        this.memory = kernel.memory();
        this.frames = kernel.frameDatabase();
        this.iommu = kernel.iommu();
        this.commit = kernel.commitCharge();
        this.table = new PageTable(memory, state -> kernel.allocateFrame(state, this));
        this.pager = new Pager(memory, frames, kernel.pagingFile(), table, new Pager.Owner() {
            @Override
            public void invalidate(long va, long bytes) {
                ProcessAddressSpace.this.invalidate(va, bytes);
            }

            @Override
            public long allocateFrame(FrameDatabase.State state) {
                return kernel.allocateFrame(state, ProcessAddressSpace.this);
            }
        });
    }

    @Override
    public int pid() {
        return pid;
    }

    @Override
    public long pageTableRoot() {
        return table.root();
    }

    @Override
    public int pasid() {
        lock.lock();
        try {
            return pasid;
        } finally {
            lock.unlock();
        }
    }

    ProcessInfo info() {
        lock.lock();
        try {
            return new ProcessInfo(pid, name, pasid, table.root(), committedPages, residentPages, chargedPages,
                    pager.pagedOut(), pager.workingSetSize());
        } finally {
            lock.unlock();
        }
    }

    /** Pages out of this process dropped without a write since it started (their copy was current). */
    long droppedPages() {
        lock.lock();
        try {
            return pager.dropped();
        } finally {
            lock.unlock();
        }
    }

    int workingSetSize() {
        return pager.workingSetSize(); // a racy read is enough to order trimming
    }

    // ---- validation ----

    private void ensureLive() {
        if (terminated) {
            throw new MemoryException(Status.PROCESS_IS_TERMINATING, "process " + pid + " is exiting");
        }
    }

    /** The private-or-view VAD holding all of {@code [va, va + pages)}. */
    private Vad vadCovering(String op, long va, long pages) {
        var entry = vads.floorEntry(va);
        if (entry == null || !entry.getValue().contains(va)) {
            throw new MemoryException(Status.MEMORY_NOT_ALLOCATED, String.format("%s: VA 0x%x is not reserved", op, va));
        }
        Vad vad = entry.getValue();
        if (va + pages * PAGE_SIZE > vad.end()) {
            throw new MemoryException(Status.INVALID_RANGE, String.format(
                    "%s: range 0x%x+0x%x runs past its reservation 0x%x..0x%x", op, va, pages * PAGE_SIZE, vad.base, vad.end()));
        }
        return vad;
    }

    private void invalidate(long va, long bytes) {
        if (pasid != 0) {
            iommu.invalidate(new Invalidation.OfRange(pasid, va, bytes));
        }
    }

    // ---- faults ----

    /** The one fault handler, for IOMMU page requests; a page that cannot be had is a FAILURE. */
    PageResponse resolve(long va, Access access) {
        lock.lock();
        try {
            if (terminated) {
                return PageResponse.FAILURE;
            }
            return resolvePage(va, access);
        } catch (MemoryException noFrameOrInPageError) {
            return PageResponse.FAILURE;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes the page of {@code va} present: demand zero, a NOACCESS frame kept, a section frame, or a
     * page-in. INVALID if the VADs do not allow the access.
     *
     * @throws MemoryException NO_MEMORY or IN_PAGE_ERROR when the page cannot be had
     */
    private PageResponse resolvePage(long va, Access access) {
        var entry = vads.floorEntry(va);
        if (entry == null || !entry.getValue().contains(va)) {
            return PageResponse.INVALID;
        }
        Vad vad = entry.getValue();
        int page = vad.pageIndex(va);
        if (!vad.committed(page) || !Ranges.permits(vad.protection(page), access)) {
            return PageResponse.INVALID;
        }
        long pageVa = va & ~(PAGE_SIZE - 1);
        long flags = Ranges.leafFlags(vad.protection(page));
        long at = table.pteAddress(pageVa, true);
        long pte = memory.readLong(at);
        if (Pte.isPresent(pte)) {
            return PageResponse.SUCCESS;
        }
        if (Pager.isPaged(pte)) {
            pager.pageIn(pageVa, at, pte, flags);
            residentPages++;
            return PageResponse.SUCCESS;
        }
        long frame;
        if ((pte & Pager.HELD) != 0) {
            frame = Pte.address(pte) >>> SystemMemory.FRAME_SHIFT;
        } else if (vad.section != null) {
            synchronized (vad.section) {
                frame = vad.section.frame(page, state -> kernel.allocateFrame(state, this));
            }
            residentPages++;
        } else {
            frame = kernel.allocateFrame(FrameDatabase.State.PRIVATE, this);
            residentPages++;
            pager.resident(pageVa);
        }
        memory.writeLong(at, Pte.make(frame << SystemMemory.FRAME_SHIFT, flags));
        return PageResponse.SUCCESS;
    }

    /**
     * Checks that every page of a CPU access is committed with a protection that allows it, without
     * touching a page: bad input is refused before any byte moves.
     */
    private void checkPages(String op, long va, long length, Access access) {
        long end = va + length;
        for (long at = va; at < end; at = (at & ~(PAGE_SIZE - 1)) + PAGE_SIZE) {
            String violation = violation(at, access);
            if (violation != null) {
                throw new MemoryException(Status.ACCESS_VIOLATION, String.format("%s at VA 0x%x: %s", op, at, violation));
            }
        }
    }

    private String violation(long va, Access access) {
        var entry = vads.floorEntry(va);
        if (entry == null || !entry.getValue().contains(va)) {
            return "address is not reserved";
        }
        Vad vad = entry.getValue();
        int page = vad.pageIndex(va);
        if (!vad.committed(page)) {
            return "page is reserved but not committed";
        }
        if (!Ranges.permits(vad.protection(page), access)) {
            return "page protection " + vad.protection(page).shortName() + " does not allow "
                    + access.name().toLowerCase(java.util.Locale.ROOT);
        }
        return null;
    }

    /** The physical address of {@code va}, faulting its page in (a checked page: only resources can fail). */
    private long cpuTranslate(String op, long va, Access access) {
        for (int attempt = 0; ; attempt++) {
            Translation t = PageTableWalker.walk(memory, table.root(), 0, va, access, true);
            if (t instanceof Translation.Mapping m) {
                return m.physicalAddress(va);
            }
            if (attempt > 0 || ((Translation.Fault) t).kind() != FaultKind.NOT_PRESENT
                    || resolvePage(va, access) != PageResponse.SUCCESS) {
                throw new MemoryException(Status.ACCESS_VIOLATION, String.format("%s at VA 0x%x: %s", op, va, t));
            }
        }
    }

    @Override
    public byte[] read(long va, int length) {
        lock.lock();
        try {
            ensureLive();
            Ranges.checkAccess("read", va, length, MAX_CPU_ACCESS);
            checkPages("read", va, length, Access.READ);
            byte[] out = new byte[length];
            for (int done = 0; done < length; ) {
                long at = va + done;
                int n = (int) Math.min(length - done, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
                memory.read(cpuTranslate("read", at, Access.READ), out, done, n);
                done += n;
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@inheritDoc} Page by page, as a CPU's stores: bad input is refused before any byte moves, but
     * running out of frames or an in-page error can stop the write part way.
     */
    @Override
    public void write(long va, byte[] data) {
        lock.lock();
        try {
            ensureLive();
            Ranges.checkAccess("write", va, data.length, MAX_CPU_ACCESS);
            checkPages("write", va, data.length, Access.WRITE);
            for (int done = 0; done < data.length; ) {
                long at = va + done;
                int n = (int) Math.min(data.length - done, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
                memory.write(cpuTranslate("write", at, Access.WRITE), data, done, n);
                done += n;
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- VirtualAlloc family ----

    @Override
    public long reserve(long va, long size) {
        lock.lock();
        try {
            ensureLive();
            return reserveLocked("reserve", va, size, null);
        } finally {
            lock.unlock();
        }
    }

    private long reserveLocked(String op, long va, long size, Section section) {
        if (va != 0) {
            long pages = Ranges.checkRange(op, va, size);
            if ((va & (ALLOCATION_GRANULARITY - 1)) != 0) {
                throw new MemoryException(Status.INVALID_PARAMETER, String.format(
                        "%s: VA 0x%x is not 64 KiB aligned (the allocation granularity)", op, va));
            }
            var below = vads.floorEntry(va + pages * PAGE_SIZE - 1);
            if (below != null && below.getValue().end() > va) {
                throw new MemoryException(Status.CONFLICTING_ADDRESSES, String.format(
                        "%s: 0x%x+0x%x overlaps the reservation at 0x%x", op, va, size, below.getKey()));
            }
            vads.put(va, new Vad(va, pages, section));
            return va;
        }
        long pages = Ranges.checkRange(op, USER_MIN, size);
        long bytes = pages * PAGE_SIZE;
        long cursor = USER_MIN;
        for (Vad vad : vads.values()) {
            if (vad.base - cursor >= bytes) {
                break;
            }
            cursor = (vad.end() + ALLOCATION_GRANULARITY - 1) & ~(ALLOCATION_GRANULARITY - 1);
        }
        if (USER_MAX - cursor < bytes) {
            throw new MemoryException(Status.NO_MEMORY, op + ": no free range of " + size + " bytes in the address space");
        }
        vads.put(cursor, new Vad(cursor, pages, section));
        return cursor;
    }

    /** Charges {@code pages} of private commit to this process (and the system), or throws COMMITMENT_LIMIT. */
    private void charge(String op, long pages) {
        commit.charge(op, pages);
        chargedPages += pages;
    }

    private void uncharge(long pages) {
        commit.release(pages);
        chargedPages -= pages;
    }

    @Override
    public void commit(long va, long size, PageProtection protection) {
        java.util.Objects.requireNonNull(protection, "protection");
        lock.lock();
        try {
            ensureLive();
            long pages = Ranges.checkRange("commit", va, size);
            Vad vad = vadCovering("commit", va, pages);
            if (vad.section != null) {
                throw new MemoryException(Status.INVALID_RANGE, String.format(
                        "commit: 0x%x is in a section view, which is committed whole", va));
            }
            int first = vad.pageIndex(va);
            long fresh = 0;
            for (int i = first; i < first + pages; i++) {
                fresh += vad.committed(i) ? 0 : 1;
            }
            charge("commit", fresh);
            for (int i = first; i < first + pages; i++) {
                if (!vad.committed(i)) {
                    vad.set(i, true, protection);
                    committedPages++;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long allocate(long size, PageProtection protection) {
        java.util.Objects.requireNonNull(protection, "protection");
        lock.lock();
        try {
            ensureLive();
            long base = reserveLocked("allocate", 0, size, null);
            Vad vad = vads.get(base);
            try {
                charge("allocate", vad.pages);
            } catch (MemoryException overLimit) {
                vads.remove(base);
                throw overLimit;
            }
            commitWhole(vad, protection);
            return base;
        } finally {
            lock.unlock();
        }
    }

    /** Commits every page of a fresh VAD (charged already, or a section view). */
    private void commitWhole(Vad vad, PageProtection protection) {
        for (int i = 0; i < vad.pages; i++) {
            vad.set(i, true, protection);
        }
        committedPages += vad.pages;
    }

    @Override
    public void decommit(long va, long size) {
        lock.lock();
        try {
            ensureLive();
            long pages = Ranges.checkRange("decommit", va, size);
            Vad vad = vadCovering("decommit", va, pages);
            if (vad.section != null) {
                throw new MemoryException(Status.INVALID_RANGE, String.format(
                        "decommit: 0x%x is in a section view; release the view instead", va));
            }
            unmapPages(vad, vad.pageIndex(va), pages, true);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Clears the PTEs of pages {@code [first, first+count)} of a VAD, invalidates the IOMMU, and then
     * frees the private frames and pagefile slots. If {@code decommit}, the pages also become
     * reserved-only.
     */
    private void unmapPages(Vad vad, int first, long count, boolean decommit) {
        ArrayList<Long> freed = new ArrayList<>();
        boolean anyPresent = false;
        long uncommitted = 0;
        for (int i = first; i < first + count; i++) {
            if (!vad.committed(i)) {
                continue;
            }
            long va = vad.base + (long) i * PAGE_SIZE;
            long pte = table.clear(va);
            anyPresent |= Pte.isPresent(pte);
            if (Pte.isPresent(pte) || (pte & Pager.HELD) != 0) {
                residentPages--;
                if (vad.section == null) {
                    freed.add(Pte.address(pte) >>> SystemMemory.FRAME_SHIFT);
                }
            }
            if (vad.section == null) {
                pager.forget(va, pte);
                uncommitted++;
            }
            if (decommit) {
                vad.set(i, false, PageProtection.NOACCESS);
            }
            committedPages--;
        }
        if (anyPresent) {
            invalidate(vad.base + (long) first * PAGE_SIZE, count * PAGE_SIZE);
        }
        for (long frame : freed) {
            frames.free(frame);
        }
        uncharge(uncommitted);
    }

    @Override
    public void release(long base) {
        lock.lock();
        try {
            ensureLive();
            Vad vad = vads.get(base);
            if (vad == null) {
                var entry = vads.floorEntry(base);
                if (entry != null && entry.getValue().contains(base)) {
                    throw new MemoryException(Status.FREE_VM_NOT_AT_BASE, String.format(
                            "release: 0x%x is inside the reservation at 0x%x; pass its base", base, entry.getKey()));
                }
                throw new MemoryException(Status.MEMORY_NOT_ALLOCATED, String.format(
                        "release: nothing is reserved at 0x%x", base));
            }
            releaseVad(vad);
        } finally {
            lock.unlock();
        }
    }

    private void releaseVad(Vad vad) {
        unmapPages(vad, 0, vad.pages, false);
        vads.remove(vad.base);
        if (vad.section != null && vad.section.removeView()) {
            kernel.sectionUnmapped(vad.section);
        }
    }

    @Override
    public PageProtection protect(long va, long size, PageProtection protection) {
        java.util.Objects.requireNonNull(protection, "protection");
        lock.lock();
        try {
            ensureLive();
            long pages = Ranges.checkRange("protect", va, size);
            Vad vad = vadCovering("protect", va, pages);
            int first = vad.pageIndex(va);
            for (int i = first; i < first + pages; i++) {
                if (!vad.committed(i)) {
                    throw new MemoryException(Status.NOT_COMMITTED, String.format(
                            "protect: page 0x%x is not committed", vad.base + (long) i * PAGE_SIZE));
                }
            }
            PageProtection old = vad.protection(first);
            boolean reduced = false;
            for (int i = first; i < first + pages; i++) {
                PageProtection before = vad.protection(i);
                vad.set(i, true, protection);
                long at = table.pteAddress(vad.base + (long) i * PAGE_SIZE, false);
                if (at >= 0) {
                    reduced |= reprotect(at, protection, before);
                }
            }
            if (reduced) {
                invalidate(va, pages * PAGE_SIZE);
            }
            return old;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Rewrites one PTE that holds a frame with {@code protection} (a paged-out page takes its
     * protection from the VAD when it comes back); returns whether rights the IOMMU may cache were
     * reduced.
     */
    private boolean reprotect(long at, PageProtection protection, PageProtection before) {
        while (true) {
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
    }

    @Override
    public RegionInfo query(long va) {
        lock.lock();
        try {
            ensureLive();
            if (!Pte.isCanonical(va) || va < 0 || va >= USER_MAX) {
                throw new MemoryException(Status.INVALID_ADDRESS, String.format(
                        "query: VA 0x%x is outside user space 0x0..0x%x", va, USER_MAX));
            }
            long page = va & ~(PAGE_SIZE - 1);
            var entry = vads.floorEntry(page);
            if (entry == null || !entry.getValue().contains(page)) {
                var next = vads.higherEntry(page);
                long end = next == null ? USER_MAX : next.getKey();
                return new RegionInfo(page, end - page, 0, RegionInfo.State.FREE, null, null);
            }
            Vad vad = entry.getValue();
            int i = vad.pageIndex(page);
            boolean committed = vad.committed(i);
            PageProtection protection = vad.protection(i);
            int j = i;
            while (j < vad.pages && vad.committed(j) == committed && (!committed || vad.protection(j) == protection)) {
                j++;
            }
            return new RegionInfo(page, (long) (j - i) * PAGE_SIZE, vad.base,
                    committed ? RegionInfo.State.COMMIT : RegionInfo.State.RESERVE, committed ? protection : null,
                    vad.section == null ? RegionInfo.Type.PRIVATE : RegionInfo.Type.MAPPED);
        } finally {
            lock.unlock();
        }
    }

    // ---- sections ----

    @Override
    public long mapSection(long handle, PageProtection protection) {
        java.util.Objects.requireNonNull(protection, "protection");
        lock.lock();
        try {
            ensureLive();
            Section section = kernel.section(handle);
            long base = reserveLocked("map section", 0, section.size(), section);
            commitWhole(vads.get(base), protection);
            section.addView();
            return base;
        } finally {
            lock.unlock();
        }
    }

    // ---- pinning ----

    /**
     * {@inheritDoc} Any size up to system memory: each page is locked as soon as it is present, so
     * that trimming (which a page-in may start) never takes a page this pin already holds.
     */
    @Override
    public PinnedPages pin(long va, long size, boolean forWrite) {
        lock.lock();
        try {
            ensureLive();
            long pages = Ranges.checkRange("pin", va, size);
            vadCovering("pin", va, pages);
            if (pages > memory.frameCount()) {
                throw new MemoryException(Status.INVALID_PARAMETER, String.format(
                        "pin: %d pages is more than system memory (%d frames)", pages, memory.frameCount()));
            }
            Access access = forWrite ? Access.WRITE : Access.READ;
            checkPages("pin", va, pages * PAGE_SIZE, access);
            long[] pinned = new long[(int) pages];
            int done = 0;
            try {
                for (; done < pages; done++) {
                    long frame = cpuTranslate("pin", va + done * PAGE_SIZE, access) >>> SystemMemory.FRAME_SHIFT;
                    frames.pin(frame);
                    pinned[done] = frame;
                }
            } catch (MemoryException noFrameOrInPageError) {
                for (int i = 0; i < done; i++) {
                    frames.unpin(pinned[i]);
                }
                throw noFrameOrInPageError;
            }
            PinnedPages pin = new PinnedPages(kernel.nextPinHandle(), pid, va, pinned);
            pins.put(pin.handle(), pin);
            return pin;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void unpin(long handle) {
        lock.lock();
        try {
            PinnedPages pin = pins.remove(handle);
            if (pin == null) {
                throw new MemoryException(Status.INVALID_HANDLE, "unpin: process " + pid + " has no pin " + handle);
            }
            for (long frame : pin.frames()) {
                frames.unpin(frame);
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- trimming ----

    /** mm:trim: pages out up to {@code pages} of this working set, waiting for the lock. */
    long trim(long pages) {
        lock.lock();
        try {
            ensureLive();
            return trimLocked(pages);
        } finally {
            lock.unlock();
        }
    }

    /**
     * For a trimmer short of frames: trims if the lock can be had within {@code waitMillis} (at once
     * for the thread that holds it already); 0 if not, or if the process is exiting.
     */
    long tryTrim(long pages, long waitMillis) {
        try {
            if (!lock.tryLock(waitMillis, TimeUnit.MILLISECONDS)) {
                return 0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
        try {
            return terminated ? 0 : trimLocked(pages);
        } finally {
            lock.unlock();
        }
    }

    private long trimLocked(long pages) {
        long out = pager.trim(pages);
        residentPages -= out;
        return out;
    }

    // ---- IOMMU registration ----

    int bindIommu() {
        lock.lock();
        try {
            ensureLive();
            if (pasid != 0) {
                return pasid;
            }
            int p = kernel.allocatePasid();
            try {
                iommu.bind(p, table.root());
            } catch (RuntimeException e) {
                kernel.pasidUnbound(p);
                throw e;
            }
            pasid = p;
            kernel.pasidBound(p, this);
            return p;
        } finally {
            lock.unlock();
        }
    }

    void unbindIommu() {
        lock.lock();
        try {
            ensureLive();
            if (pasid == 0) {
                throw new MemoryException(Status.INVALID_PARAMETER, "process " + pid + " is not bound to the IOMMU");
            }
            unbindLocked();
        } finally {
            lock.unlock();
        }
    }

    private void unbindLocked() {
        int p = pasid;
        pasid = 0;
        iommu.unbind(p);
        kernel.pasidUnbound(p);
    }

    /** Tears the address space down: unbind, unmap everything, release pins and slots, free the page table. */
    void terminate() {
        lock.lock();
        try {
            if (terminated) {
                return;
            }
            terminated = true;
            if (pasid != 0) {
                unbindLocked();
            }
            for (Vad vad : new ArrayList<>(vads.values())) {
                releaseVad(vad);
            }
            pager.releaseCopies();
            for (PinnedPages pin : pins.values()) {
                for (long frame : pin.frames()) {
                    frames.unpin(frame);
                }
            }
            pins.clear();
            table.free(frames);
        } finally {
            lock.unlock();
        }
    }
}
