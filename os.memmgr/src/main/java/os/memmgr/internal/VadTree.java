package os.memmgr.internal;

import java.util.Collection;
import java.util.TreeMap;

import iommu.hw.Access;
import iommu.hw.Pte;
import os.memmgr.AddressSpace;
import os.memmgr.MemoryException;
import os.memmgr.PageProtection;
import os.memmgr.RegionInfo;
import os.memmgr.Status;

/**
 * An address space's VADs by base address: finding free ranges, the VAD that holds an address, and
 * what a range allows. Guarded by the owning address space's lock.
 */
final class VadTree {
    private static final long PAGE_SIZE = AddressSpace.PAGE_SIZE;
    private final TreeMap<Long, Vad> vads = new TreeMap<>();
    /** The VAD {@link #containing} found last: accesses run through one VAD after another, and a hit costs no lookup. */
    private Vad last;

    Collection<Vad> all() {
        return vads.values();
    }

    Vad at(long base) {
        return vads.get(base);
    }

    void remove(long base) {
        Vad gone = vads.remove(base);
        if (gone != null && gone == last) {
            last = null;
        }
    }

    /** The VAD that contains {@code va}, or null. */
    Vad containing(long va) {
        Vad seen = last;
        if (seen != null && seen.contains(va)) {
            return seen;
        }
        var entry = vads.floorEntry(va);
        if (entry == null || !entry.getValue().contains(va)) {
            return null;
        }
        last = entry.getValue();
        return last;
    }

    /** Reserves {@code size} bytes at {@code va}, or at the lowest free 64 KiB aligned range if 0. */
    Vad reserve(String op, long va, long size, Section section) {
        if (va != 0) {
            long pages = Ranges.checkRange(op, va, size);
            if ((va & (AddressSpace.ALLOCATION_GRANULARITY - 1)) != 0) {
                throw new MemoryException(Status.INVALID_PARAMETER, String.format(
                        "%s: VA 0x%x is not 64 KiB aligned (the allocation granularity)", op, va));
            }
            var below = vads.floorEntry(va + pages * PAGE_SIZE - 1);
            if (below != null && below.getValue().end() > va) {
                throw new MemoryException(Status.CONFLICTING_ADDRESSES, String.format(
                        "%s: 0x%x+0x%x overlaps the reservation at 0x%x", op, va, size, below.getKey()));
            }
            return put(new Vad(va, pages, section));
        }
        long pages = Ranges.checkRange(op, AddressSpace.USER_MIN, size);
        long bytes = pages * PAGE_SIZE;
        long cursor = AddressSpace.USER_MIN;
        for (Vad vad : vads.values()) {
            if (vad.base - cursor >= bytes) {
                break;
            }
            cursor = (vad.end() + AddressSpace.ALLOCATION_GRANULARITY - 1) & ~(AddressSpace.ALLOCATION_GRANULARITY - 1);
        }
        if (AddressSpace.USER_MAX - cursor < bytes) {
            throw new MemoryException(Status.NO_MEMORY, op + ": no free range of " + size + " bytes in the address space");
        }
        return put(new Vad(cursor, pages, section));
    }

    /** A large-page VAD of {@code size} bytes (a multiple of 2 MiB) at a free 2 MiB aligned VA. */
    Vad reserveLarge(String op, long size, long[] largeFrames) {
        long align = 2L << 20;
        long pages = Ranges.checkRange(op, AddressSpace.USER_MIN, size);
        long bytes = pages * PAGE_SIZE;
        long cursor = (AddressSpace.USER_MIN + align - 1) & ~(align - 1);
        for (Vad vad : vads.values()) {
            if (vad.base - cursor >= bytes) {
                break;
            }
            cursor = Math.max(cursor, (vad.end() + align - 1) & ~(align - 1));
        }
        if (AddressSpace.USER_MAX - cursor < bytes) {
            throw new MemoryException(Status.NO_MEMORY, op + ": no free 2 MiB aligned range of " + size
                    + " bytes in the address space");
        }
        return put(new Vad(cursor, pages, null, largeFrames));
    }

    private Vad put(Vad vad) {
        vads.put(vad.base, vad);
        return vad;
    }

    /** The private-or-view VAD holding all of {@code [va, va + pages)}. */
    Vad covering(String op, long va, long pages) {
        Vad vad = containing(va);
        if (vad == null) {
            throw new MemoryException(Status.MEMORY_NOT_ALLOCATED, String.format("%s: VA 0x%x is not reserved", op, va));
        }
        if (va + pages * PAGE_SIZE > vad.end()) {
            throw new MemoryException(Status.INVALID_RANGE, String.format(
                    "%s: range 0x%x+0x%x runs past its reservation 0x%x..0x%x", op, va, pages * PAGE_SIZE, vad.base, vad.end()));
        }
        return vad;
    }

    /**
     * Checks that every page of {@code [va, va+length)} is committed with a protection that allows
     * {@code access}, without touching a page: bad input is refused before any byte moves.
     */
    void checkPages(String op, long va, long length, Access access) {
        long end = va + length;
        for (long at = va; at < end; at = (at & ~(PAGE_SIZE - 1)) + PAGE_SIZE) {
            String violation = violation(at, access);
            if (violation != null) {
                throw new MemoryException(Status.ACCESS_VIOLATION, String.format("%s at VA 0x%x: %s", op, at, violation));
            }
        }
    }

    private String violation(long va, Access access) {
        Vad vad = containing(va);
        if (vad == null) {
            return "address is not reserved";
        }
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

    /** VirtualQuery: the run of pages at {@code va} with the same state and protection. */
    RegionInfo query(long va) {
        if (!Pte.isCanonical(va) || va < 0 || va >= AddressSpace.USER_MAX) {
            throw new MemoryException(Status.INVALID_ADDRESS, String.format(
                    "query: VA 0x%x is outside user space 0x0..0x%x", va, AddressSpace.USER_MAX));
        }
        long page = va & ~(PAGE_SIZE - 1);
        Vad vad = containing(page);
        if (vad == null) {
            var next = vads.higherEntry(page);
            long end = next == null ? AddressSpace.USER_MAX : next.getKey();
            return new RegionInfo(page, end - page, 0, RegionInfo.State.FREE, null, null);
        }
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
