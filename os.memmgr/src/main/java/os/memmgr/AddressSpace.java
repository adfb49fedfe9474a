package os.memmgr;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A process's one virtual address space, shared by the CPU and the GPU. User addresses are
 * {@link #USER_MIN}..{@link #USER_MAX}; pages are 4 KiB; reservations are 64 KiB aligned.
 *
 * <p>Thread safe. Every call validates all its arguments before it changes anything: a call that
 * throws {@link MemoryException} leaves the address space as it was. A call that removes or reduces
 * a mapping (decommit, release, protect, unmap) invalidates the IOMMU for the bound PASID before it
 * returns, and frees frames only after that.
 */
@ProviderType
public interface AddressSpace {
    long PAGE_SIZE = 4096;
    long ALLOCATION_GRANULARITY = 64 * 1024;
    long USER_MIN = 0x10000L;
    /** One past the last user address (the top 64 KiB below 2^47 is reserved, as on Windows). */
    long USER_MAX = 0x7FFF_FFFF_0000L;
    /** Largest single reservation. */
    long MAX_RESERVATION = 64L << 30;

    int pid();

    /** Physical address of the PML4 table. */
    long pageTableRoot();

    /**
     * Reserves {@code size} bytes (rounded up to pages) at {@code va}, or anywhere if {@code va} is 0.
     *
     * @return the reservation's base
     */
    long reserve(long va, long size);

    /** Commits the pages of {@code [va, va+size)}, which must lie in one private reservation. */
    void commit(long va, long size, PageProtection protection);

    /** Reserve and commit in one call (VirtualAlloc with MEM_RESERVE | MEM_COMMIT). */
    long allocate(long size, PageProtection protection);

    /**
     * VirtualAlloc with MEM_RESERVE | MEM_COMMIT | MEM_LARGE_PAGES: {@code size} bytes (a multiple of
     * 2 MiB) of 2 MiB pages, each physically contiguous and aligned, mapped at once by page-directory
     * leaves, at a 2 MiB aligned VA. Large pages are never paged, keep their protection (not
     * NOACCESS) and are released whole.
     *
     * @throws MemoryException INVALID_PARAMETER for a bad size or protection, NO_MEMORY when no free
     *                         contiguous 2 MiB is left (nothing is trimmed to make one), COMMITMENT_LIMIT
     */
    long allocateLarge(long size, PageProtection protection);

    /** Decommits pages of a private reservation; their frames are freed. */
    void decommit(long va, long size);

    /** Releases the whole reservation or section view whose base is {@code base}. */
    void release(long base);

    /** Changes the protection of committed pages; returns the old protection of the first page. */
    PageProtection protect(long va, long size, PageProtection protection);

    RegionInfo query(long va);

    /**
     * How the pages of {@code [va, va+size)} stand now (resident, paged out, untouched, pinned, in large
     * pages), as the page table holds them; changes nothing.
     *
     * @throws MemoryException INVALID_PARAMETER if the range is not inside user space
     */
    PageCounts pages(long va, long size);

    /** A CPU read through the page table, faulting pages in as needed. */
    byte[] read(long va, int length);

    /** A CPU write through the page table, faulting pages in as needed. */
    void write(long va, byte[] data);

    /** Maps a view of a section; all of it is committed with {@code protection}. Returns the view base. */
    long mapSection(long sectionHandle, PageProtection protection);

    /** Faults in and locks the pages of {@code [va, va+size)} for the given DMA direction. */
    PinnedPages pin(long va, long size, boolean forWrite);

    /** Unlocks a pin made by {@link #pin}. */
    void unpin(long handle);

    /**
     * The PASID this address space is bound to in IOMMU unit 0, or 0.
     *
     * @deprecated a PASID means nothing without its unit: use {@link #pasids()}
     */
    @Deprecated
    int pasid();

    /** Its PASID on each IOMMU unit it is bound to, by unit index. */
    java.util.SortedMap<Integer, Integer> pasids();
}
