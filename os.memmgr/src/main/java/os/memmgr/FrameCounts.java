package os.memmgr;

/**
 * Every frame of system memory by state. {@code free + privateFrames + shared + pageTables + iommuTables
 * + reserved + transition == total} always; {@code pageTables} are the processes' page tables,
 * {@code iommuTables} the IOMMU units' own structures (root and context tables, PASID directories and
 * tables, the invalidation, page-request and status frames); {@code pinned} counts the private and
 * shared frames locked for DMA, including frames whose owner freed them while they stayed pinned. {@code transition} frames are
 * leaving a working set: unmapped, the IOMMU invalidated, their bytes on the way to the pagefile.
 */
public record FrameCounts(long total, long free, long privateFrames, long shared, long pageTables, long iommuTables,
                          long reserved, long pinned, long transition) {
    @Override
    public String toString() {
        return String.format("total %d, free %d, private %d, shared %d, page-table %d, iommu-table %d, reserved %d, transition %d,"
                + " pinned %d", total, free, privateFrames, shared, pageTables, iommuTables, reserved, transition, pinned);
    }
}
