package os.memmgr;

/**
 * A process as the shell lists it.
 *
 * @param pid            process id (a multiple of 4, as on Windows)
 * @param name           the name given at spawn
 * @param pasid          the PASID its address space is bound to on IOMMU unit 0, or 0 if none
 * @param pasids         its PASID on every IOMMU unit it is bound to, by unit index
 * @param pageTableRoot  physical address of its PML4
 * @param committedPages pages committed (private and views)
 * @param residentPages  committed pages that have a frame now
 * @param commitCharge   pages this process charges against the commit limit (its private commit;
 *                       a section is charged once, to the system, when it is created)
 * @param pagedOutPages  committed pages whose bytes are in the pagefile and not in a frame
 * @param workingSet     resident private pages that trimming may page out (not pinned ones)
 */
public record ProcessInfo(int pid, String name, int pasid, java.util.SortedMap<Integer, Integer> pasids, long pageTableRoot, long committedPages,
                          long residentPages, long commitCharge, long pagedOutPages, long workingSet) {
    public ProcessInfo {
        pasids = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(pasids));
    }
}
