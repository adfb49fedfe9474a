package iommu.hw;

import java.util.List;
import java.util.SortedMap;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The IOMMU: translation of (PASID, VA) requests through the tables software wrote in
 * {@link SystemMemory} in its architecture's formats (VT-d's root, context and PASID tables, AMD-Vi's
 * device table and GCR3 tables), then the x86-64 page table they point at; an IOTLB, the
 * architecture's command and page request queues in memory, and a fault log.
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

    /** The unit's architecture, as its configuration's {@code arch} and {@link iommu.hw.arch.Architecture#ARCH} name it. */
    String architecture();

    /**
     * The unit's registers as {@code type}, its architecture's register interface, or null when the unit
     * is of another architecture. Software (the OS's driver of that architecture) writes the tables and
     * commands in memory and programs these; nothing else binds a PASID or removes a cached translation.
     */
    <T> T registers(Class<T> type);

    /** The unit's device table (VT-d: root and context tables) as memory holds it now, decoded (for the shell). */
    String describeDevices();

    /**
     * {@code pasid}'s entry for the unit's test device as memory holds it now, raw and decoded (for the
     * shell).
     *
     * @throws IllegalArgumentException for a PASID outside 0..2^20-1
     */
    String describePasid(int pasid);

    /** The unit's queues in memory: their registers and what they processed (for the shell). */
    String describeQueues();

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
