package iommu.hw.internal;

import iommu.hw.Access;
import iommu.hw.FaultKind;
import iommu.hw.PageResponse;
import iommu.hw.Pasid;
import iommu.hw.RequesterId;
import iommu.hw.SystemMemory;
import iommu.hw.Translation.Fault;
import iommu.hw.arch.ArchitectureUnit;

/**
 * A unit's one translation path, which every request takes (a port's, a DMA transfer's, an ATS
 * translation request, the unit's own value form): {@link #hit} probes the IOTLB and applies the
 * permission rule; on a miss {@link #fill} reads the one page-table entry a cached PDE points at when
 * the 2 MiB region was walked before (the PDE cache is tagged by PASID, as the IOTLB is, so neither
 * needs the requester's context), else finds the PASID's first-level table through the unit's
 * architecture ({@link ArchitectureUnit#root}) and walks, then fills the IOTLB; {@link #resolve} adds
 * page requests for a not-present page and records a fault that stays. Results are packed (see {@link PackedWalk}) so that nothing allocates.
 */
final class Translator {
    /** What a unit does with the outcome of a failed walk. */
    interface Outcomes {
        /** A page request group of {@code requester}'s, {@code pages} pages from {@code va}'s, answered once. */
        PageResponse pageRequest(RequesterId requester, int pasid, long va, Access access, int pages);

        /** A fault of {@code requester}'s request that stays (no page request brought the page in). */
        void record(RequesterId requester, Fault fault);
    }

    static final long MISS = Iotlb.MISS;

    final Iotlb iotlb;
    private final SystemMemory memory;
    private final ArchitectureUnit tables;
    private final int pageRequestAttempts;
    private final Outcomes outcomes;

    Translator(SystemMemory memory, Iotlb iotlb, ArchitectureUnit tables, int pageRequestAttempts, Outcomes outcomes) {
        this.memory = memory;
        this.iotlb = iotlb;
        this.tables = tables;
        this.pageRequestAttempts = pageRequestAttempts;
        this.outcomes = outcomes;
    }

    static void checkPasid(int pasid) {
        if (pasid < 0 || pasid > Pasid.MAX) {
            throw new IllegalArgumentException(String.format(
                    "PASID %d does not fit the 20-bit PASID table (0..%d)", pasid, Pasid.MAX));
        }
    }

    /**
     * The permission rule of a cached translation: the rights an access needs in a packed mapping. A
     * request is a user request, so it always needs USER; a write needs a dirty entry (a clean one misses,
     * so that the walk sets the page's dirty bit); the walk itself checks the same rights the same way.
     */
    static long needed(Access access) {
        // if/else, not a switch: a switch on an enum reads a synthetic table on the hit path
        if (access == Access.READ) {
            return PackedWalk.USER;
        } else if (access == Access.WRITE) {
            return PackedWalk.USER | PackedWalk.WRITABLE | PackedWalk.DIRTY;
        } else if (access == Access.EXECUTE) {
            return PackedWalk.USER | PackedWalk.EXECUTABLE;
        }
        throw new NullPointerException("access");
    }

    /**
     * The IOTLB's packed mapping of {@code va} if it grants {@code need} (see {@link #needed}), else
     * {@link #MISS}: a 4 KiB probe, then the large pages'. A PASID outside the table never matches a tag.
     */
    long hit(int pasid, long va, long need) {
        return hit(iotlb, pasid, va, need);
    }

    /** As {@link #hit(int, long, long)} in {@code iotlb} (a port's: the unit's, or an empty one once it is closed). */
    static long hit(Iotlb iotlb, int pasid, long va, long need) {
        long word = hit4k(iotlb, pasid, va, need);
        return word != MISS ? word : largeHit(iotlb, pasid, va, need);
    }

    /**
     * The first half of {@link #hit}: a 4 KiB page's entry (so the page offset is {@code va}'s low 12
     * bits), or {@link #MISS}.
     */
    static long hit4k(Iotlb iotlb, int pasid, long va, long need) {
        long word = iotlb.lookup4k(pasid, va);
        return grants(word, need) ? word : MISS;
    }

    /** The second half of {@link #hit}: a 2 MiB or 1 GiB page's entry, or {@link #MISS}. */
    static long largeHit(Iotlb iotlb, int pasid, long va, long need) {
        long word = iotlb.lookupLarge(pasid, va);
        return grants(word, need) ? word : MISS;
    }

    /** The permission rule on a cached entry: there is one, and it holds every right in {@code need}. */
    private static boolean grants(long word, long need) {
        return word != MISS && (word & need) == need;
    }

    /** Walks for {@code va} (packed), through the PDE cache; {@code scratch} is an array of one the walk may use. */
    private long walk(RequesterId requester, int pasid, long va, Access access, long[] scratch, long startGeneration) {
        long pde = iotlb.lookupPde(pasid, va);
        if (pde != MISS) {
            return PackedWalk.walkFromPde(memory, pde, va, access, true); // one entry read, not four
        }
        long root = tables.root(requester.value(), pasid); // through the architecture's caches
        if (root < 0) {
            return root; // the packed fault: no context, PASID not bound, entry invalid
        }
        long packed = PackedWalk.walk(memory, root, va, access, true, scratch);
        if (scratch[0] != PackedWalk.NO_PDE) {
            iotlb.storePde(pasid, va, scratch[0], startGeneration);
        }
        return packed;
    }

    /**
     * After a miss: walks and fills the IOTLB; the packed mapping, or a packed fault (no page request,
     * nothing recorded). The caller checked the PASID ({@link #checkPasid}).
     */
    long fill(RequesterId requester, int pasid, long va, Access access, long[] scratch) {
        long startGeneration = iotlb.generation();
        long packed = walk(requester, pasid, va, access, scratch, startGeneration);
        if (packed >= 0) {
            iotlb.store(pasid, va, packed, startGeneration);
        }
        return packed;
    }

    /**
     * A walk failed with {@code kind} on its {@code attempt}-th try: {@code null} when a page request
     * brought the page in (walk again), else the fault, recorded. DMA calls it outside its in-flight
     * gate (the OS's answer may invalidate); {@link #resolve} calls it between walks. The page request
     * is a group of {@code pages} pages from {@code va}'s, sent only when the requester's entry
     * enables page requests (VT-d's PRE, AMD-Vi's PPR); without it a page not present is a NOT_PRESENT fault at once.
     */
    Fault settle(FaultKind kind, int attempt, RequesterId requester, int pasid, long va, Access access, int pages) {
        PageResponse response = kind != FaultKind.NOT_PRESENT || attempt > pageRequestAttempts
                || !tables.pageRequestsEnabled(requester.value()) ? null : outcomes.pageRequest(requester, pasid, va, access, pages);
        if (response == PageResponse.SUCCESS) {
            return null;
        }
        Fault fault = new Fault(response == PageResponse.FAILURE ? FaultKind.PAGE_REQUEST_FAILED : kind, pasid, va, access);
        outcomes.record(requester, fault);
        return fault;
    }

    /**
     * After a miss: walk and fill, with page requests for a not-present page (up to the unit's
     * attempts), each a group of {@code pages} pages from {@code va}'s. The packed mapping, or a
     * negative value with the recorded fault in {@code fault[0]}.
     */
    long resolve(RequesterId requester, int pasid, long va, Access access, int pages, long[] scratch, Fault[] fault) {
        for (int attempt = 1; ; attempt++) {
            long packed = fill(requester, pasid, va, access, scratch);
            if (packed >= 0) {
                return packed;
            }
            Fault settled = settle(PackedWalk.faultKind(packed), attempt, requester, pasid, va, access, pages);
            if (settled != null) {
                fault[0] = settled;
                return packed;
            }
        }
    }
}
