package iommu.hw.internal;

import iommu.hw.Access;
import iommu.hw.FaultKind;
import iommu.hw.PageSize;
import iommu.hw.Pte;
import iommu.hw.SystemMemory;
import iommu.hw.Translation;

/**
 * The x86-64 4-level page walk in the form hardware paths use per page: its result packed in a
 * {@code long}, allocating nothing. {@link iommu.hw.PageTableWalker} (the CPU's and the value form) is
 * this walk unpacked, so the CPU and the IOMMU apply one permission rule.
 *
 * <p>A packed mapping is the page's physical address ORed with {@link #WRITABLE}, {@link #USER},
 * {@link #EXECUTABLE}, {@link #DIRTY} and the page size's ordinal at {@link #SIZE_SHIFT}: the IOTLB's
 * data word. A packed fault is {@link #FAULT} ORed with the {@link FaultKind}'s ordinal (negative, so
 * {@code packed < 0} tells a fault). A PDE word (what the paging-structure cache keeps) is a page
 * table's address ORed with the rights the levels above it allow.
 *
 * <p>Accessed bits: the walk sets them on every present non-leaf entry it passes, also when it then
 * stops at a non-present or refusing leaf, and the leaf's A bit (and D on a write) once it grants the
 * access, as the hardware does; it never writes an entry otherwise.
 */
public final class PackedWalk {
    public static final long WRITABLE = 1;
    public static final long USER = 2;
    public static final long EXECUTABLE = 4;
    public static final long DIRTY = 8;
    public static final int SIZE_SHIFT = 4;
    public static final long FAULT = Long.MIN_VALUE;
    /** A PDE word that holds nothing. */
    public static final long NO_PDE = -1;
    static final long ALL_RIGHTS = WRITABLE | USER | EXECUTABLE;

    private static final PageSize[] SIZES = PageSize.values();
    private static final FaultKind[] KINDS = FaultKind.values();

    private PackedWalk() {
    }

    /**
     * Walks the table rooted at {@code root} for {@code va}: the packed mapping or fault. When the walk
     * goes through a present PDE that points at a page table and {@code pde} is not null, {@code pde[0]}
     * is set to its PDE word, else to {@link #NO_PDE}.
     */
    public static long walk(SystemMemory memory, long root, long va, Access access, boolean userRequest, long[] pde) {
        if (pde != null) {
            pde[0] = NO_PDE;
        }
        if (!Pte.isCanonical(va)) {
            return fault(FaultKind.NON_CANONICAL);
        }
        return walkFrom(memory, root, 4, ALL_RIGHTS, va, access, userRequest, pde, null);
    }

    /**
     * The walk of {@code va} for a read by a user request, read only (it sets no accessed or dirty bit),
     * each level's entry added to {@code levels}: the packed outcome, with the dirty bit as the leaf holds it.
     */
    public static long explain(SystemMemory memory, long root, long va, java.util.List<iommu.hw.PageWalk.Level> levels) {
        if (!Pte.isCanonical(va)) {
            return fault(FaultKind.NON_CANONICAL);
        }
        return walkFrom(memory, root, 4, ALL_RIGHTS, va, Access.READ, true, null, levels);
    }

    /** The last level of a walk, from the PDE word of the 2 MiB region holding {@code va}: reads the one page-table entry. */
    public static long walkFromPde(SystemMemory memory, long pdeWord, long va, Access access, boolean userRequest) {
        long table = pdeWord & ~0xFFFL;
        long entry = memory.readLong(table + 8L * Pte.index(va, 1));
        // the common case, in a few comparisons: a present 4 KiB leaf without reserved bits, inside memory,
        // granting the access, whose A (and on a write D) bit is set already, so that the walk writes nothing
        long need = access == Access.WRITE ? Pte.PRESENT | Pte.ACCESSED | Pte.DIRTY | Pte.WRITABLE : Pte.PRESENT | Pte.ACCESSED;
        if (userRequest) {
            need |= Pte.USER;
        }
        long rights = rights(pdeWord & ALL_RIGHTS, entry);
        long address = entry & Pte.ADDRESS_MASK;
        if ((entry & need) != need || (entry & Pte.reservedMask(1, false)) != 0 || address + 4096 > memory.size()
                || userRequest && (rights & USER) == 0 || access == Access.WRITE && (rights & WRITABLE) == 0
                || access == Access.EXECUTE && (rights & EXECUTABLE) == 0) {
            // anything else, by the one rule: faults in their order, accessed and dirty bits set
            return walkFrom(memory, table, 1, pdeWord & ALL_RIGHTS, va, access, userRequest, null, null);
        }
        return address | rights | ((entry & Pte.DIRTY) != 0 ? DIRTY : 0); // size 4 KiB: ordinal 0
    }

    /** The translation a packed result stands for. */
    public static Translation unpack(long packed, int pasid, long va, Access access) {
        if (packed < 0) {
            return new Translation.Fault(faultKind(packed), pasid, va, access);
        }
        PageSize size = sizeOf(packed);
        return new Translation.Mapping(va & ~size.offsetMask(), packed & ~0xFFFL, size, (packed & WRITABLE) != 0,
                (packed & USER) != 0, (packed & EXECUTABLE) != 0, (packed & DIRTY) != 0);
    }

    /** The packed fault of {@code kind}. */
    public static long fault(FaultKind kind) {
        return iommu.hw.arch.ArchitectureUnit.fault(kind); // one encoding, as an architecture returns it too
    }

    /** The fault kind of a packed fault. */
    public static FaultKind faultKind(long packed) {
        return KINDS[(int) (packed & 0xFF)];
    }

    /** The page size of a packed mapping. */
    public static PageSize sizeOf(long packed) {
        return SIZES[(int) ((packed >>> SIZE_SHIFT) & 3)];
    }

    /** The physical address of {@code va} under a packed mapping of the page holding it. */
    public static long physicalAddress(long packed, long va) {
        int shift = 12 + 9 * (int) ((packed >>> SIZE_SHIFT) & 3); // 12, 21, 30: no enum load on the hot path
        return (packed & ~0xFFFL) + (va & ((1L << shift) - 1));
    }

    /** The rights an entry leaves of {@code rights}: W and U only if it sets them, X unless it sets XD. */
    static long rights(long rights, long entry) {
        if ((entry & Pte.WRITABLE) == 0) {
            rights &= ~WRITABLE;
        }
        if ((entry & Pte.USER) == 0) {
            rights &= ~USER;
        }
        if ((entry & Pte.NO_EXECUTE) != 0) {
            rights &= ~EXECUTABLE;
        }
        return rights;
    }

    private static long walkFrom(SystemMemory memory, long startTable, int startLevel, long startRights, long va,
                                 Access access, boolean userRequest, long[] pde, java.util.List<iommu.hw.PageWalk.Level> levels) {
        final long memorySize = memory.size();
        restart:
        while (true) {
            long table = startTable;
            long rights = startRights;
            for (int level = startLevel; level >= 1; level--) {
                long entryAddress = table + 8L * Pte.index(va, level);
                long entry = memory.readLong(entryAddress);
                if (levels != null) { // an explanation: recorded, and nothing is written
                    levels.add(new iommu.hw.PageWalk.Level(level, Pte.index(va, level), entryAddress, entry));
                }
                if (!Pte.isPresent(entry)) {
                    return fault(FaultKind.NOT_PRESENT);
                }
                boolean leaf = level == 1 || (level < 4 && (entry & Pte.PAGE_SIZE) != 0);
                if ((entry & Pte.reservedMask(level, leaf && level > 1)) != 0) {
                    return fault(FaultKind.RESERVED_BIT);
                }
                rights = rights(rights, entry);
                int sizeOrdinal = leaf ? level - 1 : 0; // level 1: 4 KiB, 2: 2 MiB, 3: 1 GiB
                PageSize size = SIZES[sizeOrdinal];
                long address = Pte.leafAddress(entry, size);
                if (address + size.bytes() > memorySize) {
                    return fault(FaultKind.NON_EXISTENT_MEMORY);
                }
                if (!leaf) {
                    if ((entry & Pte.ACCESSED) == 0 && levels == null
                            && !memory.compareAndSetLong(entryAddress, entry, entry | Pte.ACCESSED)) {
                        continue restart;
                    }
                    if (level == 2 && pde != null) {
                        pde[0] = address | rights;
                    }
                    table = address;
                    continue;
                }
                // the checks of Translation.Mapping#check, in its order
                if (userRequest && (rights & USER) == 0) {
                    return fault(FaultKind.SUPERVISOR_ONLY);
                }
                if (access == Access.WRITE && (rights & WRITABLE) == 0) {
                    return fault(FaultKind.WRITE_PROTECTED);
                }
                if (access == Access.EXECUTE && (rights & EXECUTABLE) == 0) {
                    return fault(FaultKind.EXECUTE_PROTECTED);
                }
                long dirty = (entry & Pte.DIRTY) != 0 ? DIRTY : 0;
                long updated = entry | Pte.ACCESSED | (access == Access.WRITE ? Pte.DIRTY : 0);
                if (updated != entry && levels == null) {
                    if (!memory.compareAndSetLong(entryAddress, entry, updated)) {
                        continue restart;
                    }
                    if (access == Access.WRITE) {
                        dirty = DIRTY;
                    }
                }
                return address | rights | dirty | ((long) sizeOrdinal << SIZE_SHIFT);
            }
            throw new AssertionError("a level-1 entry is always a leaf");
        }
    }
}
