package iommu.hw;

/**
 * The x86-64 4-level paging-structure entry format, shared by the CPU and the IOMMU.
 *
 * <p>Levels are numbered as the walk meets them: 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT. Each table is
 * one 4 KiB frame of 512 little-endian 64-bit entries. A PDPTE with {@link #PAGE_SIZE} maps a
 * 1 GiB page, a PDE with it a 2 MiB page; in a PML4E the bit is reserved. Bits above
 * {@link #PHYSICAL_ADDRESS_BITS} (up to bit 51) are reserved, as are bits 29..13 of a 1 GiB leaf
 * and 20..13 of a 2 MiB leaf. Bits 9..11 are ignored by the walk and free for the OS.
 */
public final class Pte {
    public static final long PRESENT = 1L;
    public static final long WRITABLE = 1L << 1;
    public static final long USER = 1L << 2;
    public static final long WRITE_THROUGH = 1L << 3;
    public static final long CACHE_DISABLE = 1L << 4;
    public static final long ACCESSED = 1L << 5;
    public static final long DIRTY = 1L << 6;
    public static final long PAGE_SIZE = 1L << 7;
    public static final long GLOBAL = 1L << 8;
    /** Bits 9..11: ignored by the hardware walk, available to the OS. */
    public static final long SOFTWARE_MASK = 0x7L << 9;
    public static final long NO_EXECUTE = 1L << 63;

    /** MAXPHYADDR of the simulated machine: physical addresses have this many bits. */
    public static final int PHYSICAL_ADDRESS_BITS = 46;
    /** Bits 12..MAXPHYADDR-1: the frame address of a table or a 4 KiB page. */
    public static final long ADDRESS_MASK = ((1L << PHYSICAL_ADDRESS_BITS) - 1) & ~0xFFFL;
    /** Bits MAXPHYADDR..51, reserved in every entry. */
    public static final long RESERVED_HIGH = ((1L << 52) - 1) & ~((1L << PHYSICAL_ADDRESS_BITS) - 1);

    /** Entries per table. */
    public static final int ENTRIES = 512;
    /** Bits of virtual address translated by 4-level paging. */
    public static final int VIRTUAL_ADDRESS_BITS = 48;

    private Pte() {
    }

    /** An entry pointing at {@code physicalAddress} (page aligned) with the given flag bits. */
    public static long make(long physicalAddress, long flags) {
        if ((physicalAddress & ~ADDRESS_MASK) != 0) {
            throw new IllegalArgumentException(String.format(
                    "physical address 0x%x is not a page-aligned address below 2^%d",
                    physicalAddress, PHYSICAL_ADDRESS_BITS));
        }
        return physicalAddress | flags;
    }

    /** The frame address stored in a table entry or a 4 KiB leaf. */
    public static long address(long entry) {
        return entry & ADDRESS_MASK;
    }

    /** The frame address stored in a leaf of the given page size (low bits of the large page cleared). */
    public static long leafAddress(long entry, PageSize size) {
        return entry & ADDRESS_MASK & ~size.offsetMask();
    }

    public static boolean isPresent(long entry) {
        return (entry & PRESENT) != 0;
    }

    /** The reserved bits of an entry at {@code level} (4..1), given whether it maps a page (PS set). */
    public static long reservedMask(int level, boolean leafPageSize) {
        long mask = RESERVED_HIGH;
        if (level == 4) {
            mask |= PAGE_SIZE;
        } else if (level == 3 && leafPageSize) {
            mask |= ((1L << 30) - 1) & ~((1L << 13) - 1);
        } else if (level == 2 && leafPageSize) {
            mask |= ((1L << 21) - 1) & ~((1L << 13) - 1);
        }
        return mask;
    }

    /** The index into the table at {@code level} (4..1) selected by {@code va}. */
    public static int index(long va, int level) {
        return (int) ((va >>> (12 + 9 * (level - 1))) & (ENTRIES - 1));
    }

    /** Whether bits 63..47 of {@code va} are all equal, as 48-bit virtual addressing requires. */
    public static boolean isCanonical(long va) {
        return (va >> (VIRTUAL_ADDRESS_BITS - 1)) == 0 || (va >> (VIRTUAL_ADDRESS_BITS - 1)) == -1;
    }

    /** A readable rendering of an entry's flags, e.g. {@code P W U A D NX}. */
    public static String describe(long entry) {
        StringBuilder b = new StringBuilder(String.format("0x%016x [", entry));
        b.append(isPresent(entry) ? "P" : "-");
        if ((entry & WRITABLE) != 0) b.append(" W");
        if ((entry & USER) != 0) b.append(" U");
        if ((entry & ACCESSED) != 0) b.append(" A");
        if ((entry & DIRTY) != 0) b.append(" D");
        if ((entry & PAGE_SIZE) != 0) b.append(" PS");
        if ((entry & NO_EXECUTE) != 0) b.append(" NX");
        return b.append(']').toString();
    }
}
