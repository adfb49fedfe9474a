package iommu.hw;

import iommu.hw.internal.PackedWalk;

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
 * <p>The IOMMU's units walk the same code in a form that allocates nothing (its result packed in a
 * {@code long}, inside the bundle), so the CPU and every device path apply one permission rule.
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
        return PackedWalk.unpack(PackedWalk.walk(memory, root, va, access, userRequest, null), pasid, va, access);
    }

    /**
     * {@link #walk} for an access that needs only where it lands (the OS's CPU accesses): the physical
     * address of {@code va}, or a negative value whose fault kind {@link #faultOf} gives. The same walk,
     * accessed and dirty bits included; nothing is allocated.
     */
    public static long physicalAddress(SystemMemory memory, long root, long va, Access access, boolean userRequest) {
        long packed = PackedWalk.walk(memory, root, va, access, userRequest, null);
        return packed < 0 ? packed : PackedWalk.physicalAddress(packed, va);
    }

    /** The fault kind of a negative {@link #physicalAddress} result. @throws IllegalArgumentException for an address */
    public static FaultKind faultOf(long result) {
        if (result >= 0) {
            throw new IllegalArgumentException(String.format("0x%x is a physical address, not a fault", result));
        }
        return PackedWalk.faultKind(result);
    }

    /**
     * The walk of {@code va} for a read by a user request, level by level, into {@code levels}; returns its
     * outcome. Read only: unlike a walk it sets no accessed or dirty bit (an explanation changes nothing),
     * so a mapping it returns shows the dirty bit as the leaf holds it.
     */
    public static Translation explain(SystemMemory memory, long root, int pasid, long va, java.util.List<PageWalk.Level> levels) {
        return PackedWalk.unpack(PackedWalk.explain(memory, root, va, levels), pasid, va, Access.READ);
    }
}
