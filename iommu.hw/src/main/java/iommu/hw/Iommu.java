package iommu.hw;

import java.util.List;
import java.util.SortedMap;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The IOMMU: translation of (PASID, VA) requests through the tables software wrote in
 * {@link SystemMemory} in VT-d's scalable-mode formats (root table, context entry, PASID directory and
 * PASID entry, read through a context cache and a PASID cache), then the x86-64 page table the PASID
 * entry points at; an IOTLB, an invalidation queue and a page request queue in memory, and a fault log.
 *
 * <p>All requests are user (non-privileged) requests, as a GPU's PASID-tagged requests are. All
 * methods are thread safe. Bad arguments (a PASID outside 0..2^20-1) throw
 * {@link IllegalArgumentException} and change nothing;
 * a translation that cannot be made is a {@link Translation.Fault}, never an exception.
 */
@ProviderType
public interface Iommu {
    /** Service property: the unit's index (an Integer), as adapters select it ({@code dma.target=(iommu.unit=N)}). */
    String UNIT = "iommu.unit";

    /** This unit's index; a machine may have several units, each with its own tables, caches, IOTLB and fault log. */
    int unit();

    /**
     * The unit's registers: its root table, its invalidation queue. Software (the OS, through
     * {@link iommu.hw.vtd.VtdDriver}) writes the tables and descriptors in memory and programs these;
     * nothing else binds a PASID or removes a cached translation.
     */
    iommu.hw.vtd.VtdRegisters registers();

    /**
     * The 64 bytes (eight words) of {@code pasid}'s PASID-table entry as memory holds them now, or null
     * when the unit's test device's context or the PASID directory has no table for it (for the shell).
     */
    long[] pasidEntry(int pasid);

    /**
     * The context entry of the device with PCI requester id {@code requesterId} as memory holds it now,
     * or null when none is usable (for the shell).
     */
    iommu.hw.vtd.ContextEntry contextEntry(int requesterId);

    /** The PASIDs whose entries are present now and their first-level tables (PML4s), read from memory. */
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

    IommuStats stats();

    /** The most recent faults, oldest first (the log keeps a bounded number). */
    List<FaultRecord> faults();

}
