package os.memmgr;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The OS memory manager service: processes and their address spaces, shared sections, IOMMU
 * registration, and the frame accounting of system memory. Thread safe.
 */
@ProviderType
public interface MemoryManager {

    /** Creates a process with an empty address space; returns its pid. */
    int spawn(String name);

    /**
     * Ends a process: {@link ProcessListener}s are told first, then its PASID is unbound, its pins
     * released and every frame it held returned.
     */
    void kill(int pid);

    List<ProcessInfo> processes();

    /** @throws MemoryException INVALID_CID if no such process */
    AddressSpace addressSpace(int pid);

    /**
     * {@link #bindIommu(int, int)} with unit 0.
     *
     * @deprecated name the unit: a PASID means nothing without it
     */
    @Deprecated
    default int bindIommu(int pid) {
        return bindIommu(pid, 0);
    }

    /**
     * Registers the process's address space with IOMMU unit {@code unit}: allocates a PASID of that
     * unit and binds it to the page-table root. Idempotent: a bound process gets its PASID back. A
     * process may be bound to several units, with a PASID of each; every invalidation of its address
     * space reaches every unit it is bound to.
     *
     * @throws MemoryException INVALID_PARAMETER naming the unit if there is no such unit
     */
    int bindIommu(int pid, int unit);

    /**
     * {@link #unbindIommu(int, int)} with unit 0.
     *
     * @deprecated name the unit
     */
    @Deprecated
    default void unbindIommu(int pid) {
        unbindIommu(pid, 0);
    }

    /** Unbinds and frees the process's PASID on {@code unit}; that unit is invalidated before this returns. */
    void unbindIommu(int pid, int unit);

    /** The indexes of the IOMMU units the memory manager uses, ascending. */
    List<Integer> iommuUnits();

    /** Creates a shared section of {@code size} bytes (rounded up to pages). */
    long createSection(long size);

    /** Closes a section handle; its frames are freed when its last view is unmapped. */
    void closeSection(long handle);

    List<SectionInfo> sections();

    FrameCounts frames();

    /**
     * Trims the process's working set: pages out up to {@code pages} resident private pages that are
     * not pinned, least recently used first (a clock over the accessed bits). Dirty pages are written
     * to the pagefile; clean pages whose pagefile copy is current are dropped. The IOMMU is
     * invalidated for the process's PASID before any trimmed frame is reused.
     *
     * @return the pages trimmed (fewer when the working set is smaller, pages are pinned, or the
     *         pagefile is full)
     * @throws MemoryException INVALID_CID if no such process, INVALID_PARAMETER if {@code pages < 1}
     */
    long trim(int pid, long pages);

    /** The pagefile, the commit charge and the paging counters. */
    PagingInfo paging();

    /** What a GPU access to a page that is not present does now ({@link GpuFaultPolicy}). */
    GpuFaultPolicy gpuFaultPolicy();

    /**
     * Sets the GPU fault policy of every IOMMU unit's devices, and of units that come later; when it
     * returns, every unit decides by it (its context entries were written and its context cache
     * invalidated). Configured by {@code os.memmgr.GpuFaults}; a scenario may select another for its run.
     */
    void setGpuFaultPolicy(GpuFaultPolicy policy);
}
