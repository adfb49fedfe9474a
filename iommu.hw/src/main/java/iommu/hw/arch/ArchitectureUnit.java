package iommu.hw.arch;

import java.util.SortedMap;

import org.osgi.annotation.versioning.ConsumerType;

import iommu.hw.Access;
import iommu.hw.FaultKind;
import iommu.hw.PageResponse;
import iommu.hw.Translation;

/**
 * An architecture's part of one unit: the tables it reads to find a request's page table (through its
 * own caches), its page request queue in memory, its registers, and their decoding for people. All
 * methods are thread safe; {@link #root} is on every IOTLB miss's path and must not allocate.
 */
@ConsumerType
public interface ArchitectureUnit {
    /** A fault as {@link #root} returns it: negative, the kind in the low bits. */
    static long fault(FaultKind kind) {
        return Long.MIN_VALUE | kind.ordinal();
    }

    /**
     * The physical address of the PML4 that {@code pasid}'s requests of device {@code requesterId} are
     * translated through, read through the architecture's caches, or {@link #fault} (NO_CONTEXT,
     * PASID_NOT_BOUND, PASID_ENTRY_INVALID).
     */
    long root(int requesterId, int pasid);

    /** As {@link #root}, from memory alone: nothing is cached (what an explanation of a walk reads). */
    long read(int requesterId, int pasid);

    /** Whether software allows the device's page requests (VT-d's PRE, AMD-Vi's PPR in the device's entry). */
    boolean pageRequestsEnabled(int requesterId);

    /**
     * A page request group of {@code pages} pages from {@code va}'s through the architecture's queue in
     * memory, and software's answer; null when the queue is full (the device retries).
     */
    PageResponse pageRequest(int requesterId, int pasid, long va, int pages, Access access);

    /**
     * A request of device {@code requesterId} faulted for good (no page request brought the page in): the
     * architecture logs it where its software reads faults (AMD-Vi: an IO_PAGE_FAULT event). Called on
     * the requesting thread without the unit's locks; nothing by default.
     */
    default void faulted(int requesterId, Translation.Fault fault) {
    }

    /** Device {@code requesterId} is behind the unit (its first request or attachment); software may hear of it. */
    void deviceAdded(int requesterId);

    /** The PASIDs whose entries for {@code requesterId} are present now, and their PML4s, read from memory. */
    SortedMap<Integer, Long> boundPasids(int requesterId);

    /** The registers software programs, of the architecture's own interface. */
    Object registers();

    /** The unit's device table (or root and context tables), decoded, for the shell's {@code iommu:context}. */
    String describeDevices();

    /** {@code pasid}'s entry for {@code requesterId} as memory holds it, raw and decoded ({@code iommu:pasid-entry}). */
    String describePasid(int requesterId, int pasid);

    /** The unit's queues in memory: registers and what they processed ({@code iommu:queues}). */
    String describeQueues();
}
