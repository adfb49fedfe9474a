package iommu.hw;

/**
 * The x86-64 4-level page walk, shared by the IOMMU and the OS's CPU accesses so that both read
 * the very same page table. A pure function of system memory, apart from setting the accessed bit
 * of every entry used and the dirty bit of the leaf on a write, as the hardware does.
 */
public final class PageTableWalker {

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

    /** Rights bits of a PDE word (see {@link #walk(SystemMemory, long, int, long, Access, boolean, long[])}). */
    public static final long PDE_WRITABLE = 1;
    public static final long PDE_USER = 2;
    public static final long PDE_EXECUTABLE = 4;
    /** A PDE word that holds nothing. */
    public static final long NO_PDE = -1;

    /**
     * As {@link #walk(SystemMemory, long, int, long, Access, boolean)}; and when the walk goes through a
     * present page-directory entry that points at a page table (not a 2 MiB page), {@code pde[0]} is
     * set to that table's physical address ORed with the rights the levels above it allow
     * ({@link #PDE_WRITABLE}, {@link #PDE_USER}, {@link #PDE_EXECUTABLE}), else to {@link #NO_PDE}: what
     * a paging-structure (PDE) cache keeps, so that a later miss under the same 2 MiB reads one entry.
     */
    public static Translation walk(SystemMemory memory, long root, int pasid, long va, Access access,
                                   boolean userRequest, long[] pde) {
        if (pde != null) {
            pde[0] = NO_PDE;
        }
        if (!Pte.isCanonical(va)) {
            return new Translation.Fault(FaultKind.NON_CANONICAL, pasid, va, access);
        }
        return walkFrom(memory, root, 4, true, true, true, pasid, va, access, userRequest, pde);
    }

    /**
     * The last level of a walk, from a PDE word {@link #walk(SystemMemory, long, int, long, Access, boolean, long[])}
     * reported for the 2 MiB region holding {@code va}: reads the one page-table entry.
     */
    public static Translation walkFromPde(SystemMemory memory, long pdeWord, int pasid, long va, Access access,
                                          boolean userRequest) {
        return walkFrom(memory, pdeWord & ~0xFFFL, 1, (pdeWord & PDE_WRITABLE) != 0, (pdeWord & PDE_USER) != 0,
                (pdeWord & PDE_EXECUTABLE) != 0, pasid, va, access, userRequest, null);
    }

    private static Translation walkFrom(SystemMemory memory, long startTable, int startLevel, boolean startWritable,
                                        boolean startUser, boolean startExecutable, int pasid, long va, Access access,
                                        boolean userRequest, long[] pde) {
        final long memorySize = memory.size();
        restart:
        while (true) {
            long table = startTable;
            boolean writable = startWritable;
            boolean user = startUser;
            boolean executable = startExecutable;
            for (int level = startLevel; level >= 1; level--) {
                long entryAddress = table + 8L * Pte.index(va, level);
                long entry = memory.readLong(entryAddress);
                if (!Pte.isPresent(entry)) {
                    return new Translation.Fault(FaultKind.NOT_PRESENT, pasid, va, access);
                }
                boolean leaf = level == 1 || (level < 4 && (entry & Pte.PAGE_SIZE) != 0);
                if ((entry & Pte.reservedMask(level, leaf && level > 1)) != 0) {
                    return new Translation.Fault(FaultKind.RESERVED_BIT, pasid, va, access);
                }
                writable &= (entry & Pte.WRITABLE) != 0;
                user &= (entry & Pte.USER) != 0;
                executable &= (entry & Pte.NO_EXECUTE) == 0;
                PageSize size = leaf ? sizeAt(level) : PageSize.SIZE_4K;
                long address = Pte.leafAddress(entry, size);
                if (address + size.bytes() > memorySize) {
                    return new Translation.Fault(FaultKind.NON_EXISTENT_MEMORY, pasid, va, access);
                }
                if (!leaf) {
                    if ((entry & Pte.ACCESSED) == 0
                            && !memory.compareAndSetLong(entryAddress, entry, entry | Pte.ACCESSED)) {
                        continue restart;
                    }
                    if (level == 2 && pde != null) {
                        pde[0] = address | (writable ? PDE_WRITABLE : 0) | (user ? PDE_USER : 0)
                                | (executable ? PDE_EXECUTABLE : 0);
                    }
                    table = address;
                    continue;
                }
                Translation.Mapping mapping = new Translation.Mapping(va & ~size.offsetMask(), address, size,
                        writable, user, executable, (entry & Pte.DIRTY) != 0);
                FaultKind denied = mapping.check(access, userRequest);
                if (denied != null) {
                    return new Translation.Fault(denied, pasid, va, access);
                }
                long updated = entry | Pte.ACCESSED | (access == Access.WRITE ? Pte.DIRTY : 0);
                if (updated != entry) {
                    if (!memory.compareAndSetLong(entryAddress, entry, updated)) {
                        continue restart;
                    }
                    if (!mapping.dirty() && access == Access.WRITE) {
                        mapping = new Translation.Mapping(mapping.pageVa(), address, size, writable, user,
                                executable, true);
                    }
                }
                return mapping;
            }
            throw new AssertionError("a level-1 entry is always a leaf");
        }
    }

    private static PageSize sizeAt(int level) {
        return switch (level) {
            case 1 -> PageSize.SIZE_4K;
            case 2 -> PageSize.SIZE_2M;
            case 3 -> PageSize.SIZE_1G;
            default -> throw new IllegalArgumentException("no page size at level " + level);
        };
    }
}
