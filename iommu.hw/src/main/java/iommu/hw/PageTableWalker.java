package iommu.hw;

/**
 * The x86-64 4-level page walk, shared by the IOMMU and the OS's CPU accesses so that both read
 * the very same page table. A pure function of system memory, apart from setting the accessed bit
 * of every entry used and the dirty bit of the leaf on a write, as the hardware does.
 *
 * <p>Accessed bits of the upper levels (PML4E, PDPTE, PDE): this walk sets them on every present
 * non-leaf entry it passes, also when it then stops at a non-present or refusing leaf, as the
 * hardware does. An access the OS refuses before any walk (a PAGE_NOACCESS page, an uncommitted
 * address: the CPU path checks the region first) sets none; the SDM allows both (the A bits of
 * paging-structure entries may be set speculatively or not at all for an access that faults), and
 * the model keeps "no walk, no A bit" so that a refused access leaves the page table as it was.
 *
 * <p>Two forms: {@link #walk} returns a {@link Translation} value; {@link #walkPacked} returns the same
 * result packed in a {@code long} and allocates nothing, for hardware paths that translate per page.
 * A packed mapping is the page's physical address ORed with {@link #PACKED_WRITABLE},
 * {@link #PACKED_USER}, {@link #PACKED_EXECUTABLE}, {@link #PACKED_DIRTY} and the page size's ordinal at
 * {@link #PACKED_SIZE_SHIFT}; a packed fault is {@link #PACKED_FAULT} ORed with the {@link FaultKind}'s
 * ordinal (negative, so {@code packed < 0} tells a fault).
 */
public final class PageTableWalker {
    public static final long PACKED_WRITABLE = 1;
    public static final long PACKED_USER = 2;
    public static final long PACKED_EXECUTABLE = 4;
    public static final long PACKED_DIRTY = 8;
    public static final int PACKED_SIZE_SHIFT = 4;
    public static final long PACKED_FAULT = Long.MIN_VALUE;

    /** Rights bits of a PDE word (see {@link #walk(SystemMemory, long, int, long, Access, boolean, long[])}). */
    public static final long PDE_WRITABLE = PACKED_WRITABLE;
    public static final long PDE_USER = PACKED_USER;
    public static final long PDE_EXECUTABLE = PACKED_EXECUTABLE;
    /** A PDE word that holds nothing. */
    public static final long NO_PDE = -1;

    private static final long ALL_RIGHTS = PACKED_WRITABLE | PACKED_USER | PACKED_EXECUTABLE;
    private static final PageSize[] SIZES = PageSize.values();
    private static final FaultKind[] KINDS = FaultKind.values();

    private PageTableWalker() {
    }

    /**
     * Walks the table rooted at {@code root} for {@code va}.
     *
     * @param memory      the memory holding the tables
     * @param root        physical address of the PML4 table
     * @param pasid       PASID recorded in a fault (0 for a CPU access)
     * @param va          the virtual address
     * @param access      the access to check
     * @param userRequest whether the request is non-privileged (then every level must set U)
     * @return the mapping of the page holding {@code va}, or the fault
     */
    public static Translation walk(SystemMemory memory, long root, int pasid, long va, Access access,
                                   boolean userRequest) {
        return walk(memory, root, pasid, va, access, userRequest, null);
    }

    /**
     * As {@link #walk(SystemMemory, long, int, long, Access, boolean)}; and when the walk goes through a
     * present page-directory entry that points at a page table (not a 2 MiB page), {@code pde[0]} is
     * set to that table's physical address ORed with the rights the levels above it allow
     * ({@link #PDE_WRITABLE}, {@link #PDE_USER}, {@link #PDE_EXECUTABLE}), else to {@link #NO_PDE}: what
     * a paging-structure (PDE) cache keeps, so that a later miss under the same 2 MiB reads one entry.
     */
    public static Translation walk(SystemMemory memory, long root, int pasid, long va, Access access,
                                   boolean userRequest, long[] pde) {
        return unpack(walkPacked(memory, root, va, access, userRequest, pde), pasid, va, access);
    }

    /** As {@link #walk(SystemMemory, long, int, long, Access, boolean, long[])}, packed; allocates nothing. */
    public static long walkPacked(SystemMemory memory, long root, long va, Access access, boolean userRequest,
                                  long[] pde) {
        if (pde != null) {
            pde[0] = NO_PDE;
        }
        if (!Pte.isCanonical(va)) {
            return PACKED_FAULT | FaultKind.NON_CANONICAL.ordinal();
        }
        return walkFrom(memory, root, 4, ALL_RIGHTS, va, access, userRequest, pde);
    }

    /**
     * The last level of a walk, from a PDE word {@link #walk(SystemMemory, long, int, long, Access, boolean, long[])}
     * reported for the 2 MiB region holding {@code va}: reads the one page-table entry.
     */
    public static Translation walkFromPde(SystemMemory memory, long pdeWord, int pasid, long va, Access access,
                                          boolean userRequest) {
        return unpack(walkPackedFromPde(memory, pdeWord, va, access, userRequest), pasid, va, access);
    }

    /** As {@link #walkFromPde}, packed; allocates nothing. */
    public static long walkPackedFromPde(SystemMemory memory, long pdeWord, long va, Access access, boolean userRequest) {
        return walkFrom(memory, pdeWord & ~0xFFFL, 1, pdeWord & ALL_RIGHTS, va, access, userRequest, null);
    }

    /** The translation a packed result stands for. */
    public static Translation unpack(long packed, int pasid, long va, Access access) {
        if (packed < 0) {
            return new Translation.Fault(faultKind(packed), pasid, va, access);
        }
        PageSize size = sizeOf(packed);
        return new Translation.Mapping(va & ~size.offsetMask(), packed & ~0xFFFL, size, (packed & PACKED_WRITABLE) != 0,
                (packed & PACKED_USER) != 0, (packed & PACKED_EXECUTABLE) != 0, (packed & PACKED_DIRTY) != 0);
    }

    /** The fault kind of a packed fault. */
    public static FaultKind faultKind(long packed) {
        return KINDS[(int) (packed & 0xFF)];
    }

    /** The page size of a packed mapping. */
    public static PageSize sizeOf(long packed) {
        return SIZES[(int) ((packed >>> PACKED_SIZE_SHIFT) & 3)];
    }

    /** The physical address of {@code va} under a packed mapping of the page holding it. */
    public static long physicalAddress(long packed, long va) {
        int shift = 12 + 9 * (int) ((packed >>> PACKED_SIZE_SHIFT) & 3); // 12, 21, 30: no enum load on the hot path
        return (packed & ~0xFFFL) + (va & ((1L << shift) - 1));
    }

    /**
     * The walk of {@code va} for a read by a user request, level by level, into {@code levels}; returns its
     * outcome. Read only: unlike a walk it sets no accessed or dirty bit (an explanation changes nothing),
     * so a mapping it returns shows the dirty bit as the leaf holds it.
     */
    public static Translation explain(SystemMemory memory, long root, int pasid, long va, java.util.List<PageWalk.Level> levels) {
        if (!Pte.isCanonical(va)) {
            return new Translation.Fault(FaultKind.NON_CANONICAL, pasid, va, Access.READ);
        }
        long table = root;
        long rights = ALL_RIGHTS;
        for (int level = 4; level >= 1; level--) {
            long entryAddress = table + 8L * Pte.index(va, level);
            long entry = memory.readLong(entryAddress);
            PageWalk.Level step = new PageWalk.Level(level, Pte.index(va, level), entryAddress, entry);
            levels.add(step);
            if (!Pte.isPresent(entry)) {
                return new Translation.Fault(FaultKind.NOT_PRESENT, pasid, va, Access.READ);
            }
            boolean leaf = step.leaf();
            if ((entry & Pte.reservedMask(level, leaf && level > 1)) != 0) {
                return new Translation.Fault(FaultKind.RESERVED_BIT, pasid, va, Access.READ);
            }
            rights &= ((entry & Pte.WRITABLE) == 0 ? ~PACKED_WRITABLE : -1L) & ((entry & Pte.USER) == 0 ? ~PACKED_USER : -1L)
                    & ((entry & Pte.NO_EXECUTE) != 0 ? ~PACKED_EXECUTABLE : -1L);
            int sizeOrdinal = leaf ? level - 1 : 0;
            long address = Pte.leafAddress(entry, SIZES[sizeOrdinal]);
            if (address + SIZES[sizeOrdinal].bytes() > memory.size()) {
                return new Translation.Fault(FaultKind.NON_EXISTENT_MEMORY, pasid, va, Access.READ);
            }
            if (leaf) {
                if ((rights & PACKED_USER) == 0) {
                    return new Translation.Fault(FaultKind.SUPERVISOR_ONLY, pasid, va, Access.READ);
                }
                return unpack(address | rights | ((entry & Pte.DIRTY) != 0 ? PACKED_DIRTY : 0)
                        | ((long) sizeOrdinal << PACKED_SIZE_SHIFT), pasid, va, Access.READ);
            }
            table = address;
        }
        throw new AssertionError("a level-1 entry is always a leaf");
    }

    private static long fault(FaultKind kind) {
        return PACKED_FAULT | kind.ordinal();
    }

    private static long walkFrom(SystemMemory memory, long startTable, int startLevel, long startRights, long va,
                                 Access access, boolean userRequest, long[] pde) {
        final long memorySize = memory.size();
        restart:
        while (true) {
            long table = startTable;
            long rights = startRights;
            for (int level = startLevel; level >= 1; level--) {
                long entryAddress = table + 8L * Pte.index(va, level);
                long entry = memory.readLong(entryAddress);
                if (!Pte.isPresent(entry)) {
                    return fault(FaultKind.NOT_PRESENT);
                }
                boolean leaf = level == 1 || (level < 4 && (entry & Pte.PAGE_SIZE) != 0);
                if ((entry & Pte.reservedMask(level, leaf && level > 1)) != 0) {
                    return fault(FaultKind.RESERVED_BIT);
                }
                if ((entry & Pte.WRITABLE) == 0) {
                    rights &= ~PACKED_WRITABLE;
                }
                if ((entry & Pte.USER) == 0) {
                    rights &= ~PACKED_USER;
                }
                if ((entry & Pte.NO_EXECUTE) != 0) {
                    rights &= ~PACKED_EXECUTABLE;
                }
                int sizeOrdinal = leaf ? level - 1 : 0; // level 1: 4 KiB, 2: 2 MiB, 3: 1 GiB
                PageSize size = SIZES[sizeOrdinal];
                long address = Pte.leafAddress(entry, size);
                if (address + size.bytes() > memorySize) {
                    return fault(FaultKind.NON_EXISTENT_MEMORY);
                }
                if (!leaf) {
                    if ((entry & Pte.ACCESSED) == 0
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
                if (userRequest && (rights & PACKED_USER) == 0) {
                    return fault(FaultKind.SUPERVISOR_ONLY);
                }
                if (access == Access.WRITE && (rights & PACKED_WRITABLE) == 0) {
                    return fault(FaultKind.WRITE_PROTECTED);
                }
                if (access == Access.EXECUTE && (rights & PACKED_EXECUTABLE) == 0) {
                    return fault(FaultKind.EXECUTE_PROTECTED);
                }
                long dirty = (entry & Pte.DIRTY) != 0 ? PACKED_DIRTY : 0;
                long updated = entry | Pte.ACCESSED | (access == Access.WRITE ? Pte.DIRTY : 0);
                if (updated != entry) {
                    if (!memory.compareAndSetLong(entryAddress, entry, updated)) {
                        continue restart;
                    }
                    if (access == Access.WRITE) {
                        dirty = PACKED_DIRTY;
                    }
                }
                return address | rights | dirty | ((long) sizeOrdinal << PACKED_SIZE_SHIFT);
            }
            throw new AssertionError("a level-1 entry is always a leaf");
        }
    }
}
