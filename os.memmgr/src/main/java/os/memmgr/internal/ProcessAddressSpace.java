package os.memmgr.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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
 * One process's address space: its VADs, and its x86-64 page table in system memory. Every method
 * runs under {@link #lock}; the IOMMU's DMA never takes it, so invalidating (which waits for DMA in
 * flight) under it cannot deadlock.
 *
 * <p>A PTE of a NOACCESS page keeps its frame with P=0 and {@link #HELD} set, so that changing the
 * protection back finds the same bytes.
 */
final class ProcessAddressSpace implements AddressSpace {
    /** Software bit 9: the entry holds a frame but is not accessible. */
    static final long HELD = 1L << 9;
    private static final long TABLE_FLAGS = Pte.PRESENT | Pte.WRITABLE | Pte.USER;
    private static final int MAX_CPU_ACCESS = 64 << 20;

    private final int pid;
    private final String name;
    private final Kernel kernel;
    private final SystemMemory memory;
    private final FrameDatabase frames;
    private final Iommu iommu;
    private final Object lock = new Object();
    private final long root;
    private final TreeMap<Long, Vad> vads = new TreeMap<>();
    private final List<Long> tableFrames = new ArrayList<>();
    private final Map<Long, PinnedPages> pins = new HashMap<>();
    private int pasid;
    private boolean terminated;
    private long committedPages;
    private long residentPages;

    /** What an address space needs of the memory manager that owns it. */
    interface Kernel {
        SystemMemory memory();

        FrameDatabase frameDatabase();

        Iommu iommu();

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
        long rootFrame = frames.allocate(FrameDatabase.State.PAGE_TABLE);
        tableFrames.add(rootFrame);
        this.root = rootFrame << SystemMemory.FRAME_SHIFT;
    }

    @Override
    public int pid() {
        return pid;
    }

    @Override
    public long pageTableRoot() {
        return root;
    }

    @Override
    public int pasid() {
        synchronized (lock) {
            return pasid;
        }
    }

    ProcessInfo info() {
        synchronized (lock) {
            return new ProcessInfo(pid, name, pasid, root, committedPages, residentPages);
        }
    }

    // ---- validation ----

    private void ensureLive() {
        if (terminated) {
            throw new MemoryException(Status.PROCESS_IS_TERMINATING, "process " + pid + " is exiting");
        }
    }

    /** Checks a page-aligned user range; returns its page count. */
    private static long checkRange(String op, long va, long size) {
        if (size <= 0 || size > MAX_RESERVATION) {
            throw new MemoryException(Status.INVALID_PARAMETER, String.format(
                    "%s: size must be 1..%d bytes, not %d", op, MAX_RESERVATION, size));
        }
        if (!Pte.isCanonical(va)) {
            throw new MemoryException(Status.INVALID_PARAMETER, String.format("%s: VA 0x%x is not canonical", op, va));
        }
        if ((va & (PAGE_SIZE - 1)) != 0) {
            throw new MemoryException(Status.INVALID_PARAMETER, String.format(
                    "%s: VA 0x%x is not page aligned (4 KiB)", op, va));
        }
        long pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
        if (va < USER_MIN || va >= USER_MAX || USER_MAX - va < pages * PAGE_SIZE) {
            throw new MemoryException(Status.INVALID_ADDRESS, String.format(
                    "%s: range 0x%x+0x%x is outside user space 0x%x..0x%x", op, va, size, USER_MIN, USER_MAX));
        }
        return pages;
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

    private static long leafFlags(PageProtection p) {
        return Pte.PRESENT | Pte.USER | (p.writable() ? Pte.WRITABLE : 0) | (p.executable() ? 0 : Pte.NO_EXECUTE);
    }

    private static boolean permits(PageProtection p, Access access) {
        return switch (access) {
            case READ -> p.readable();
            case WRITE -> p.writable();
            case EXECUTE -> p.executable();
        };
    }

    // ---- page table ----

    /** Physical address of the PTE of {@code va}, making missing tables if {@code create}, else -1. */
    private long pteAddress(long va, boolean create) {
        long table = root;
        for (int level = 4; level >= 2; level--) {
            long entryAddress = table + 8L * Pte.index(va, level);
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
        return table + 8L * Pte.index(va, 1);
    }

    /** Clears the PTE of {@code va}; returns the old entry (0 if there was no table). */
    private long clearPte(long va) {
        long at = pteAddress(va, false);
        return at < 0 ? 0 : memory.getAndSetLong(at, 0);
    }

    private static boolean holdsFrame(long pte) {
        return Pte.isPresent(pte) || (pte & HELD) != 0;
    }

    private void invalidate(long va, long bytes) {
        if (pasid != 0) {
            iommu.invalidate(new Invalidation.OfRange(pasid, va, bytes));
        }
    }

    // ---- faults ----

    /** The one fault handler, for CPU faults and IOMMU page requests. */
    PageResponse resolve(long va, Access access) {
        synchronized (lock) {
            if (terminated) {
                return PageResponse.FAILURE;
            }
            return resolveLocked(va, access);
        }
    }

    private PageResponse resolveLocked(long va, Access access) {
        var entry = vads.floorEntry(va);
        if (entry == null || !entry.getValue().contains(va)) {
            return PageResponse.INVALID;
        }
        Vad vad = entry.getValue();
        int page = vad.pageIndex(va);
        if (!vad.committed(page) || !permits(vad.protection(page), access)) {
            return PageResponse.INVALID;
        }
        long pageVa = va & ~(PAGE_SIZE - 1);
        long at;
        long frame;
        try {
            at = pteAddress(pageVa, true);
            long pte = memory.readLong(at);
            if (Pte.isPresent(pte)) {
                return PageResponse.SUCCESS;
            }
            if ((pte & HELD) != 0) {
                frame = Pte.address(pte) >>> SystemMemory.FRAME_SHIFT;
            } else if (vad.section != null) {
                synchronized (vad.section) {
                    frame = vad.section.frame(page, frames);
                }
                residentPages++;
            } else {
                frame = frames.allocate(FrameDatabase.State.PRIVATE);
                residentPages++;
            }
        } catch (MemoryException noMemory) {
            return PageResponse.FAILURE;
        }
        memory.writeLong(at, Pte.make(frame << SystemMemory.FRAME_SHIFT, leafFlags(vad.protection(page))));
        return PageResponse.SUCCESS;
    }

    /** Translates every page of a CPU access, faulting pages in; throws before any byte moves. */
    private List<Translation.Mapping> cpuTranslate(String op, long va, int length, Access access) {
        if (length < 0 || length > MAX_CPU_ACCESS) {
            throw new MemoryException(Status.INVALID_PARAMETER, op + ": length must be 0.." + MAX_CPU_ACCESS + ", not " + length);
        }
        if (!Pte.isCanonical(va) || (length > 0 && !Pte.isCanonical(va + length - 1))) {
            throw new MemoryException(Status.INVALID_PARAMETER, String.format("%s: VA 0x%x is not canonical", op, va));
        }
        List<Translation.Mapping> pages = new ArrayList<>();
        long end = va + length;
        for (long at = va; at < end; at = (at & ~(PAGE_SIZE - 1)) + PAGE_SIZE) {
            for (int attempt = 0; ; attempt++) {
                Translation t = PageTableWalker.walk(memory, root, 0, at, access, true);
                if (t instanceof Translation.Mapping m) {
                    pages.add(m);
                    break;
                }
                Translation.Fault f = (Translation.Fault) t;
                PageResponse r = f.kind() == FaultKind.NOT_PRESENT && attempt == 0
                        ? resolveLocked(at, access) : PageResponse.INVALID;
                if (r == PageResponse.FAILURE) {
                    throw new MemoryException(Status.NO_MEMORY, String.format("%s at VA 0x%x: no free frame", op, at));
                }
                if (r != PageResponse.SUCCESS) {
                    throw new MemoryException(Status.ACCESS_VIOLATION, String.format(
                            "%s at VA 0x%x: %s", op, at, describeViolation(at, access)));
                }
            }
        }
        return pages;
    }

    private String describeViolation(long va, Access access) {
        var entry = vads.floorEntry(va);
        if (entry == null || !entry.getValue().contains(va)) {
            return "address is not reserved";
        }
        Vad vad = entry.getValue();
        int page = vad.pageIndex(va);
        if (!vad.committed(page)) {
            return "page is reserved but not committed";
        }
        return "page protection " + vad.protection(page).shortName() + " does not allow "
                + access.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public byte[] read(long va, int length) {
        synchronized (lock) {
            ensureLive();
            List<Translation.Mapping> pages = cpuTranslate("read", va, length, Access.READ);
            byte[] out = new byte[length];
            int done = 0;
            for (Translation.Mapping m : pages) {
                long at = va + done;
                int n = (int) Math.min(length - done, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
                memory.read(m.physicalAddress(at), out, done, n);
                done += n;
            }
            return out;
        }
    }

    @Override
    public void write(long va, byte[] data) {
        synchronized (lock) {
            ensureLive();
            List<Translation.Mapping> pages = cpuTranslate("write", va, data.length, Access.WRITE);
            int done = 0;
            for (Translation.Mapping m : pages) {
                long at = va + done;
                int n = (int) Math.min(data.length - done, PAGE_SIZE - (at & (PAGE_SIZE - 1)));
                memory.write(m.physicalAddress(at), data, done, n);
                done += n;
            }
        }
    }

    // ---- VirtualAlloc family ----

    @Override
    public long reserve(long va, long size) {
        synchronized (lock) {
            ensureLive();
            return reserveLocked("reserve", va, size, null);
        }
    }

    private long reserveLocked(String op, long va, long size, Section section) {
        if (va != 0) {
            long pages = checkRange(op, va, size);
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
        long pages = checkRange(op, USER_MIN, size);
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

    @Override
    public void commit(long va, long size, PageProtection protection) {
        java.util.Objects.requireNonNull(protection, "protection");
        synchronized (lock) {
            ensureLive();
            long pages = checkRange("commit", va, size);
            Vad vad = vadCovering("commit", va, pages);
            if (vad.section != null) {
                throw new MemoryException(Status.INVALID_RANGE, String.format(
                        "commit: 0x%x is in a section view, which is committed whole", va));
            }
            int first = vad.pageIndex(va);
            for (int i = first; i < first + pages; i++) {
                if (!vad.committed(i)) {
                    vad.set(i, true, protection);
                    committedPages++;
                }
            }
        }
    }

    @Override
    public long allocate(long size, PageProtection protection) {
        java.util.Objects.requireNonNull(protection, "protection");
        synchronized (lock) {
            ensureLive();
            long base = reserveLocked("allocate", 0, size, null);
            commitWhole(vads.get(base), protection);
            return base;
        }
    }

    /** Commits every page of a fresh VAD. */
    private void commitWhole(Vad vad, PageProtection protection) {
        for (int i = 0; i < vad.pages; i++) {
            vad.set(i, true, protection);
        }
        committedPages += vad.pages;
    }

    @Override
    public void decommit(long va, long size) {
        synchronized (lock) {
            ensureLive();
            long pages = checkRange("decommit", va, size);
            Vad vad = vadCovering("decommit", va, pages);
            if (vad.section != null) {
                throw new MemoryException(Status.INVALID_RANGE, String.format(
                        "decommit: 0x%x is in a section view; release the view instead", va));
            }
            unmapPages(vad, vad.pageIndex(va), pages, true);
        }
    }

    /**
     * Clears the PTEs of pages {@code [first, first+count)} of a VAD, invalidates the IOMMU, and then
     * frees the private frames. If {@code decommit}, the pages also become reserved-only.
     */
    private void unmapPages(Vad vad, int first, long count, boolean decommit) {
        List<Long> freed = new ArrayList<>();
        boolean anyPresent = false;
        for (int i = first; i < first + count; i++) {
            if (!vad.committed(i)) {
                continue;
            }
            long pte = clearPte(vad.base + (long) i * PAGE_SIZE);
            anyPresent |= Pte.isPresent(pte);
            if (holdsFrame(pte)) {
                residentPages--;
                if (vad.section == null) {
                    freed.add(Pte.address(pte) >>> SystemMemory.FRAME_SHIFT);
                }
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
    }

    @Override
    public void release(long base) {
        synchronized (lock) {
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
        synchronized (lock) {
            ensureLive();
            long pages = checkRange("protect", va, size);
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
                long at = pteAddress(vad.base + (long) i * PAGE_SIZE, false);
                if (at < 0) {
                    continue;
                }
                while (true) {
                    long pte = memory.readLong(at);
                    if (!holdsFrame(pte)) {
                        break;
                    }
                    long frameAddress = Pte.address(pte);
                    long updated = protection == PageProtection.NOACCESS ? frameAddress | HELD
                            : Pte.make(frameAddress, leafFlags(protection)) | (pte & (Pte.ACCESSED | Pte.DIRTY));
                    if (memory.compareAndSetLong(at, pte, updated)) {
                        reduced |= Pte.isPresent(pte) && !protection.allows(before);
                        break;
                    }
                }
            }
            if (reduced) {
                invalidate(va, pages * PAGE_SIZE);
            }
            return old;
        }
    }

    @Override
    public RegionInfo query(long va) {
        synchronized (lock) {
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
        }
    }

    // ---- sections ----

    @Override
    public long mapSection(long handle, PageProtection protection) {
        java.util.Objects.requireNonNull(protection, "protection");
        synchronized (lock) {
            ensureLive();
            Section section = kernel.section(handle);
            long base = reserveLocked("map section", 0, section.size(), section);
            commitWhole(vads.get(base), protection);
            section.addView();
            return base;
        }
    }

    // ---- pinning ----

    @Override
    public PinnedPages pin(long va, long size, boolean forWrite) {
        synchronized (lock) {
            ensureLive();
            long pages = checkRange("pin", va, size);
            vadCovering("pin", va, pages);
            List<Translation.Mapping> mappings = cpuTranslate("pin", va, (int) Math.min(pages * PAGE_SIZE, Integer.MAX_VALUE),
                    forWrite ? Access.WRITE : Access.READ);
            long[] pinned = new long[mappings.size()];
            for (int i = 0; i < pinned.length; i++) {
                pinned[i] = mappings.get(i).pagePa() >>> SystemMemory.FRAME_SHIFT;
                frames.pin(pinned[i]);
            }
            PinnedPages pin = new PinnedPages(kernel.nextPinHandle(), pid, va, pinned);
            pins.put(pin.handle(), pin);
            return pin;
        }
    }

    @Override
    public void unpin(long handle) {
        synchronized (lock) {
            PinnedPages pin = pins.remove(handle);
            if (pin == null) {
                throw new MemoryException(Status.INVALID_HANDLE, "unpin: process " + pid + " has no pin " + handle);
            }
            for (long frame : pin.frames()) {
                frames.unpin(frame);
            }
        }
    }

    // ---- IOMMU registration ----

    int bindIommu() {
        synchronized (lock) {
            ensureLive();
            if (pasid != 0) {
                return pasid;
            }
            int p = kernel.allocatePasid();
            try {
                iommu.bind(p, root);
            } catch (RuntimeException e) {
                kernel.pasidUnbound(p);
                throw e;
            }
            pasid = p;
            kernel.pasidBound(p, this);
            return p;
        }
    }

    void unbindIommu() {
        synchronized (lock) {
            ensureLive();
            if (pasid == 0) {
                throw new MemoryException(Status.INVALID_PARAMETER, "process " + pid + " is not bound to the IOMMU");
            }
            unbindLocked();
        }
    }

    private void unbindLocked() {
        int p = pasid;
        pasid = 0;
        iommu.unbind(p);
        kernel.pasidUnbound(p);
    }

    /** Tears the address space down: unbind, unmap everything, release pins, free the page table. */
    void terminate() {
        synchronized (lock) {
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
            for (PinnedPages pin : pins.values()) {
                for (long frame : pin.frames()) {
                    frames.unpin(frame);
                }
            }
            pins.clear();
            for (long frame : tableFrames) {
                frames.free(frame);
            }
            tableFrames.clear();
        }
    }
}
