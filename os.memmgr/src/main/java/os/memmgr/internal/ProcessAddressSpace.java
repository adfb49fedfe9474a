package os.memmgr.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import iommu.hw.Access;
import iommu.hw.PageResponse;
import iommu.hw.Pte;
import iommu.hw.SystemMemory;
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
    private static final long LARGE_PAGE_SIZE = 2L << 20;

    private final int pid;
    private final String name;
    private final Kernel kernel;
    private final SystemMemory memory;
    private final FrameDatabase frames;
    private final CommitCharge commit;
    private final ReentrantLock lock = new ReentrantLock();
    private final PageMapper mapper;
    private final VadTree vads = new VadTree();
    /** The VAD of a page a CPU access faults in, made once (a method reference is an object per use). */
    private final java.util.function.LongFunction<Vad> vadOf = vads::containing;
    private final Map<Long, PinnedPages> pins = new HashMap<>();
    /** The IOMMU units this space is registered with, by unit index, and its PASID on each. */
    private final java.util.TreeMap<Integer, IommuUnits.Unit> units = new java.util.TreeMap<>();
    private final java.util.TreeMap<Integer, Integer> pasids = new java.util.TreeMap<>();
    private boolean terminated;
    private long committedPages;
    private long chargedPages;

    /** What an address space needs of the memory manager that owns it. */
    interface Kernel {
        SystemMemory memory();

        FrameDatabase frameDatabase();

        /** The IOMMU unit with index {@code unit}; throws a MemoryException naming it if there is none. */
        IommuUnits.Unit unit(int unit);

        PagingFile pagingFile();

        CommitCharge commitCharge();

        /** {@code pages} of the space's working set were trimmed. */
        void pagedOut(ProcessAddressSpace space, java.util.SortedMap<Integer, Integer> pasids, long pages);

        /** A frame for {@code requester}, trimming working sets (its own included) if frames are short. */
        long allocateFrame(FrameDatabase.State state, ProcessAddressSpace requester);

        Section section(long handle);

        void sectionUnmapped(Section section);

        long nextPinHandle();
    }

    ProcessAddressSpace(int pid, String name, Kernel kernel) {
        this.pid = pid;
        this.name = name;
        this.kernel = kernel;
        this.memory = kernel.memory();
        this.frames = kernel.frameDatabase();
        this.commit = kernel.commitCharge();
        this.mapper = new PageMapper(memory, frames, kernel.pagingFile(), new Pager.Owner() {
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

    private <T> T locked(java.util.function.Supplier<T> body) {
        lock.lock();
        try {
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    private void locked(Runnable body) {
        lock.lock();
        try {
            body.run();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int pid() {
        return pid;
    }

    String name() {
        return name;
    }

    @Override
    public long pageTableRoot() {
        return mapper.root();
    }

    @Override
    public int pasid() {
        return locked(() -> {
            return pasids.getOrDefault(0, 0);
        });
    }

    @Override
    public java.util.SortedMap<Integer, Integer> pasids() {
        return locked(() -> {
            return java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(pasids));
        });
    }

    ProcessInfo info() {
        return locked(() -> {
            return new ProcessInfo(pid, name, pasids.getOrDefault(0, 0), pasids, mapper.root(), committedPages, mapper.residentPages(), chargedPages,
                    mapper.pager().pagedOut(), mapper.pager().workingSetSize());
        });
    }

    int workingSetSize() {
        return mapper.pager().workingSetSize(); // a racy read is enough to order trimming
    }

    // ---- validation ----

    private void ensureLive() {
        if (terminated) {
            throw new MemoryException(Status.PROCESS_IS_TERMINATING, "process " + pid + " is exiting");
        }
    }

    /** Invalidates every unit this space is registered with, before any frame of the range is reused. */
    private void invalidate(long va, long bytes) {
        for (Map.Entry<Integer, IommuUnits.Unit> e : units.entrySet()) {
            e.getValue().invalidate(pasids.get(e.getKey()), va, bytes);
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
            return mapper.resolve(vads.containing(va), va, access);
        } catch (MemoryException noFrameOrInPageError) {
            return PageResponse.FAILURE;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public byte[] read(long va, int length) {
        return locked(() -> {
            ensureLive();
            Ranges.checkAccess("read", va, length, MAX_CPU_ACCESS);
            vads.checkPages("read", va, length, Access.READ);
            byte[] out = new byte[length];
            for (int done = 0; done < length; ) {
                long at = va + done;
                int n = (int) Math.min(length - done, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
                memory.read(mapper.cpuTranslate("read", vadOf, at, Access.READ), out, done, n);
                done += n;
            }
            return out;
        });
    }

    /**
     * {@inheritDoc} Page by page, as a CPU's stores: bad input is refused before any byte moves, but
     * running out of frames or an in-page error can stop the write part way.
     */
    @Override
    public void write(long va, byte[] data) {
        lock.lock(); // not locked(...): a CPU store is the hottest path, and a capturing lambda is an object per call
        try {
            ensureLive();
            Ranges.checkAccess("write", va, data.length, MAX_CPU_ACCESS);
            vads.checkPages("write", va, data.length, Access.WRITE);
            for (int done = 0; done < data.length; ) {
                long at = va + done;
                int n = (int) Math.min(data.length - done, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
                memory.write(mapper.cpuTranslate("write", vadOf, at, Access.WRITE), data, done, n);
                done += n;
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- VirtualAlloc family ----

    @Override
    public long reserve(long va, long size) {
        return locked(() -> {
            ensureLive();
            return vads.reserve("reserve", va, size, null).base;
        });
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
        locked(() -> {
            ensureLive();
            long pages = Ranges.checkRange("commit", va, size);
            Vad vad = vads.covering("commit", va, pages);
            refuseLarge("commit", vad);
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
        });
    }

    @Override
    public long allocate(long size, PageProtection protection) {
        java.util.Objects.requireNonNull(protection, "protection");
        lock.lock();
        try {
            ensureLive();
            Vad vad = vads.reserve("allocate", 0, size, null);
            long base = vad.base;
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

    @Override
    public long allocateLarge(long size, PageProtection protection) {
        java.util.Objects.requireNonNull(protection, "protection");
        if (size <= 0 || size % LARGE_PAGE_SIZE != 0) {
            throw new MemoryException(Status.INVALID_PARAMETER, "allocate large: size must be a positive multiple of"
                    + " 2 MiB (the large-page size), not " + size);
        }
        if (protection == PageProtection.NOACCESS) {
            throw new MemoryException(Status.INVALID_PARAMETER, "allocate large: large pages cannot be NOACCESS");
        }
        lock.lock();
        try {
            ensureLive();
            int count = (int) (size / LARGE_PAGE_SIZE);
            Vad vad = vads.reserveLarge("allocate large", size, new long[count]);
            int framesPerPage = (int) (LARGE_PAGE_SIZE >>> SystemMemory.FRAME_SHIFT);
            int made = 0;
            boolean charged = false;
            try {
                charge("allocate large", vad.pages);
                charged = true;
                for (; made < count; made++) {
                    long first = frames.allocateContiguous(framesPerPage, FrameDatabase.State.PRIVATE);
                    if (first < 0) {
                        throw new MemoryException(Status.NO_MEMORY, "allocate large: no 2 MiB of free, physically"
                                + " contiguous and aligned memory for large page " + (made + 1) + " of " + count);
                    }
                    vad.largeFrames[made] = first;
                }
            } catch (MemoryException e) {
                for (int i = 0; i < made; i++) {
                    freeLargePage(vad.largeFrames[i]);
                }
                if (charged) {
                    uncharge(vad.pages);
                }
                vads.remove(vad.base);
                throw e;
            }
            long flags = Ranges.leafFlags(protection) | Pte.PAGE_SIZE | Pte.ACCESSED | Pte.DIRTY;
            for (int i = 0; i < count; i++) {
                mapper.table().setLarge(vad.base + i * LARGE_PAGE_SIZE,
                        Pte.make(vad.largeFrames[i] << SystemMemory.FRAME_SHIFT, flags));
            }
            invalidate(vad.base, size); // a page-directory entry an IOMMU cached for an earlier page table there
            commitWhole(vad, protection);
            mapper.largeResident(vad.pages);
            return vad.base;
        } finally {
            lock.unlock();
        }
    }

    private void freeLargePage(long firstFrame) {
        for (long f = firstFrame; f < firstFrame + (LARGE_PAGE_SIZE >>> SystemMemory.FRAME_SHIFT); f++) {
            frames.free(f);
        }
    }

    /** Unmaps a large-page VAD: its page-directory leaves cleared, every IOMMU unit invalidated, then its frames freed. */
    private void unmapLarge(Vad vad) {
        for (int i = 0; i < vad.largeFrames.length; i++) {
            mapper.table().clearLarge(vad.base + i * LARGE_PAGE_SIZE);
        }
        invalidate(vad.base, vad.pages * PAGE_SIZE);
        for (long first : vad.largeFrames) {
            freeLargePage(first);
        }
        mapper.largeResident(-vad.pages);
        committedPages -= vad.pages;
        uncharge(vad.pages);
    }

    /** Refuses an operation on part of large-page memory, which is allocated and released whole. */
    private static void refuseLarge(String op, Vad vad) {
        if (vad.large()) {
            throw new MemoryException(Status.INVALID_PARAMETER, String.format("%s: 0x%x is large-page memory, which"
                    + " keeps its protection and is released whole (mm:free)", op, vad.base));
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
        locked(() -> {
            ensureLive();
            long pages = Ranges.checkRange("decommit", va, size);
            Vad vad = vads.covering("decommit", va, pages);
            refuseLarge("decommit", vad);
            if (vad.section != null) {
                throw new MemoryException(Status.INVALID_RANGE, String.format(
                        "decommit: 0x%x is in a section view; release the view instead", va));
            }
            unmapPages(vad, vad.pageIndex(va), pages, true);
        });
    }

    /**
     * Unmaps pages {@code [first, first+count)} of a VAD (the IOMMU invalidated before any frame is
     * freed) and gives back their commit charge. If {@code decommit}, the pages become reserved-only.
     */
    private void unmapPages(Vad vad, int first, long count, boolean decommit) {
        long committed = mapper.unmap(vad, first, count);
        committedPages -= committed;
        if (vad.section == null) {
            uncharge(committed);
        }
        if (decommit) {
            for (int i = first; i < first + count; i++) {
                vad.set(i, false, PageProtection.NOACCESS);
            }
        }
    }

    @Override
    public void release(long base) {
        locked(() -> {
            ensureLive();
            Vad vad = vads.at(base);
            if (vad == null) {
                Vad inside = vads.containing(base);
                if (inside != null) {
                    throw new MemoryException(Status.FREE_VM_NOT_AT_BASE, String.format(
                            "release: 0x%x is inside the reservation at 0x%x; pass its base", base, inside.base));
                }
                throw new MemoryException(Status.MEMORY_NOT_ALLOCATED, String.format(
                        "release: nothing is reserved at 0x%x", base));
            }
            releaseVad(vad);
        });
    }

    private void releaseVad(Vad vad) {
        if (vad.large()) {
            unmapLarge(vad);
        } else {
            unmapPages(vad, 0, vad.pages, false);
        }
        vads.remove(vad.base);
        if (vad.section != null && vad.section.removeView()) {
            kernel.sectionUnmapped(vad.section);
        }
    }

    @Override
    public PageProtection protect(long va, long size, PageProtection protection) {
        java.util.Objects.requireNonNull(protection, "protection");
        return locked(() -> {
            ensureLive();
            long pages = Ranges.checkRange("protect", va, size);
            Vad vad = vads.covering("protect", va, pages);
            refuseLarge("protect", vad);
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
                reduced |= mapper.reprotect(vad.base + (long) i * PAGE_SIZE, protection, before);
            }
            if (reduced) {
                invalidate(va, pages * PAGE_SIZE);
            }
            return old;
        });
    }

    @Override
    public RegionInfo query(long va) {
        return locked(() -> {
            ensureLive();
            return vads.query(va);
        });
    }

    @Override
    public os.memmgr.PageCounts pages(long va, long size) {
        if (size <= 0 || va < USER_MIN || va >= USER_MAX || size > USER_MAX - va) {
            throw new MemoryException(Status.INVALID_PARAMETER, String.format(
                    "range 0x%x + 0x%x is not inside user space 0x%x..0x%x", va, size, USER_MIN, USER_MAX));
        }
        long first = va & ~(PAGE_SIZE - 1);
        long end = (va + size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        return locked(() -> {
            ensureLive();
            return mapper.table().count(first, end, frames::isPinned);
        });
    }

    // ---- sections ----

    @Override
    public long mapSection(long handle, PageProtection protection) {
        java.util.Objects.requireNonNull(protection, "protection");
        return locked(() -> {
            ensureLive();
            Section section = kernel.section(handle);
            Vad vad = vads.reserve("map section", 0, section.size(), section);
            commitWhole(vad, protection);
            section.addView();
            return vad.base;
        });
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
            Vad vad = vads.covering("pin", va, pages);
            if (pages > memory.frameCount()) {
                throw new MemoryException(Status.INVALID_PARAMETER, String.format(
                        "pin: %d pages is more than system memory (%d frames)", pages, memory.frameCount()));
            }
            Access access = forWrite ? Access.WRITE : Access.READ;
            vads.checkPages("pin", va, pages * PAGE_SIZE, access);
            long[] pinned = new long[(int) pages];
            int done = 0;
            try {
                for (; done < pages; done++) {
                    long frame = mapper.cpuTranslate("pin", x -> vad, va + done * PAGE_SIZE, access) >>> SystemMemory.FRAME_SHIFT;
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
        locked(() -> {
            PinnedPages pin = pins.remove(handle);
            if (pin == null) {
                throw new MemoryException(Status.INVALID_HANDLE, "unpin: process " + pid + " has no pin " + handle);
            }
            for (long frame : pin.frames()) {
                frames.unpin(frame);
            }
        });
    }

    // ---- trimming ----

    /** mm:trim: pages out up to {@code pages} of this working set, waiting for the lock. */
    long trim(long pages) {
        return locked(() -> {
            ensureLive();
            return trimLocked(pages);
        });
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
        long out = mapper.trim(pages);
        if (out > 0) {
            kernel.pagedOut(this, new java.util.TreeMap<>(pasids), out);
        }
        return out;
    }

    // ---- IOMMU registration ----

    /** Registers this space with IOMMU unit {@code index}; returns its PASID there (the same one if already bound). */
    int bindIommu(int index) {
        lock.lock();
        try {
            ensureLive();
            Integer bound = pasids.get(index);
            if (bound != null) {
                return bound;
            }
            IommuUnits.Unit unit = kernel.unit(index);
            int p = unit.bind(this, mapper.root());
            units.put(index, unit);
            pasids.put(index, p);
            return p;
        } finally {
            lock.unlock();
        }
    }

    void unbindIommu(int index) {
        locked(() -> {
            ensureLive();
            if (!pasids.containsKey(index)) {
                throw new MemoryException(Status.INVALID_PARAMETER, "process " + pid + " is not bound to IOMMU unit " + index);
            }
            unbindLocked(index);
        });
    }

    private void unbindLocked(int index) {
        IommuUnits.Unit unit = units.remove(index);
        unit.unbind(pasids.remove(index));
    }

    /** Unit {@code unit} is gone (its hardware stopped): its PASID table went with it, forget the binding. */
    void unitGone(IommuUnits.Unit unit) {
        locked(() -> {
            for (Map.Entry<Integer, IommuUnits.Unit> e : new ArrayList<>(units.entrySet())) {
                if (e.getValue() == unit) {
                    units.remove(e.getKey());
                    pasids.remove(e.getKey());
                }
            }
        });
    }

    /** Tears the address space down: unbind, unmap everything, release pins and slots, free the page table. */
    void terminate() {
        locked(() -> {
            if (terminated) {
                return;
            }
            terminated = true;
            for (Integer index : new ArrayList<>(pasids.keySet())) {
                unbindLocked(index);
            }
            for (Vad vad : new ArrayList<>(vads.all())) {
                releaseVad(vad);
            }
            for (PinnedPages pin : pins.values()) {
                for (long frame : pin.frames()) {
                    frames.unpin(frame);
                }
            }
            pins.clear();
            mapper.free();
        });
    }
}
