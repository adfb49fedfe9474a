package iommu.hw;

/** The page sizes of x86-64 4-level paging: a PTE maps 4 KiB, a PDE 2 MiB, a PDPTE 1 GiB. */
public enum PageSize {
    SIZE_4K(12), SIZE_2M(21), SIZE_1G(30);

    private final int shift;

    PageSize(int shift) {
        this.shift = shift;
    }

    /** log2 of the size in bytes. */
    public int shift() {
        return shift;
    }

    public long bytes() {
        return 1L << shift;
    }

    /** Mask of the byte offset within a page of this size. */
    public long offsetMask() {
        return bytes() - 1;
    }

    /** The page-table level whose entry maps a page of this size (1 = PT, 2 = PD, 3 = PDPT). */
    public int level() {
        return (shift - 12) / 9 + 1;
    }

    @Override
    public String toString() {
        return switch (this) {
            case SIZE_4K -> "4KiB";
            case SIZE_2M -> "2MiB";
            case SIZE_1G -> "1GiB";
        };
    }
}
