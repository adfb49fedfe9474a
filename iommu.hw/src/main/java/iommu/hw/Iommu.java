package iommu.hw;

import java.util.List;
import java.util.SortedMap;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The IOMMU: a 20-bit PASID table, translation of (PASID, VA) requests by walking the bound x86-64
 * page table in {@link SystemMemory}, an IOTLB, a fault log, and page requests to the OS.
 *
 * <p>All requests are user (non-privileged) requests, as a GPU's PASID-tagged requests are. All
 * methods are thread safe. Bad arguments (a PASID outside 1..2^20-1, a root that is not a
 * page-aligned address inside memory) throw {@link IllegalArgumentException} and change nothing;
 * a translation that cannot be made is a {@link Translation.Fault}, never an exception.
 */
@ProviderType
public interface Iommu {
    /** Service property: the unit's index (an Integer), as adapters select it ({@code dma.target=(iommu.unit=N)}). */
    String UNIT = "iommu.unit";

    /** This unit's index; a machine may have several units, each with its own PASID table, IOTLB and fault log. */
    int unit();

    /**
     * Points {@code pasid} at the PML4 table at physical address {@code pageTableRoot}.
     *
     * @throws IllegalStateException if the PASID is already bound
     */
    void bind(int pasid, long pageTableRoot);

    /**
     * Clears the PASID table entry and invalidates every cached translation of the PASID. When this
     * returns, no request with the PASID is in flight and none will reach memory.
     *
     * @throws IllegalStateException if the PASID is not bound
     */
    void unbind(int pasid);

    /** The bound PASIDs and their page-table roots. */
    SortedMap<Integer, Long> boundPasids();

    /**
     * Translates {@code va} for {@code access} by {@code pasid}: IOTLB hit, or page walk (setting
     * accessed and dirty bits) and IOTLB fill. A not-present page is sent as a page request to the
     * registered {@link PageRequestHandler} and, if that succeeds, translated again. A fault is
     * recorded in the fault log and returned.
     *
     * <p>A returned mapping is a snapshot: it may be stale as soon as an invalidation covering it
     * starts. DMA through {@link DmaInitiator} is protected against that; callers of this method
     * are not.
     */
    Translation translate(int pasid, long va, Access access);

    /**
     * The walk of {@code va} for {@code pasid} explained level by level, and whether the IOTLB holds it;
     * changes nothing (see {@link PageWalk}). A PASID that is not bound gives a walk with no level.
     */
    PageWalk walk(int pasid, long va);

    /**
     * A new {@link TranslationPort} for one requester's thread: translation that allocates nothing and
     * counts on its own. Close it when the requester goes away.
     */
    TranslationPort openPort();

    /**
     * Removes cached translations in {@code scope}. When this returns, no request that could still
     * use a removed translation is in flight: the OS may then reuse the frames it unmapped.
     */
    void invalidate(Invalidation scope);

    IommuStats stats();

    /** The most recent faults, oldest first (the log keeps a bounded number). */
    List<FaultRecord> faults();

    /**
     * Registers the OS's resolver of page requests, replacing any other. Without one, every page
     * request fails. The OS registers itself when it starts.
     */
    void setPageRequestHandler(PageRequestHandler handler);

    /** Removes {@code handler} if it is the registered one (the OS stopping). */
    void clearPageRequestHandler(PageRequestHandler handler);
}
