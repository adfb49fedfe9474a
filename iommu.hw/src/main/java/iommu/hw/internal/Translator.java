package iommu.hw.internal;

import iommu.hw.Access;
import iommu.hw.FaultKind;
import iommu.hw.PageResponse;
import iommu.hw.PageTableWalker;
import iommu.hw.Pasid;
import iommu.hw.SystemMemory;
import iommu.hw.Translation;
import iommu.hw.Translation.Fault;
import iommu.hw.Translation.Mapping;

/**
 * A unit's translation core: a miss finds the PASID's first-level table through the unit's
 * {@link TranslationTables}, walks the page table (from a cached PDE when the 2 MiB region was
 * walked before) and fills the IOTLB; a not-present page becomes a page request; a fault that stays is
 * recorded. Results are packed (see {@link PageTableWalker}) so that the per-page paths allocate nothing.
 */
final class Translator {
    /** What a unit does with the outcome of a failed walk. */
    interface Outcomes {
        PageResponse pageRequest(int pasid, long va, Access access);

        void record(Fault fault);
    }

    final Iotlb iotlb;
    private final SystemMemory memory;
    private final TranslationTables tables;
    private final int pageRequestAttempts;
    private final Outcomes outcomes;

    Translator(SystemMemory memory, Iotlb iotlb, TranslationTables tables, int pageRequestAttempts, Outcomes outcomes) {
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

    /** Rights an access needs in an IOTLB data word (user requests always need USER; a write, a dirty entry). */
    static long needed(Access access) {
        // if/else, not a switch: a switch on an enum reads a synthetic table on the hit path
        if (access == Access.READ) {
            return Iotlb.USER;
        } else if (access == Access.WRITE) {
            return Iotlb.USER | Iotlb.WRITABLE | Iotlb.DIRTY;
        } else if (access == Access.EXECUTE) {
            return Iotlb.USER | Iotlb.EXECUTABLE;
        }
        throw new NullPointerException("access");
    }

    /** Walks for {@code va} (packed), through the PDE cache; {@code scratch} is an array of one the walk may use. */
    private long walk(int pasid, long va, Access access, long[] scratch, long startGeneration) {
        long root = tables.root(pasid); // through the context and PASID caches
        if (root < 0) {
            return root; // the packed fault: no context, PASID not bound, entry invalid
        }
        long pde = iotlb.lookupPde(pasid, va);
        if (pde != Iotlb.MISS) {
            return PageTableWalker.walkPackedFromPde(memory, pde, va, access, true); // one entry read, not four
        }
        long packed = PageTableWalker.walkPacked(memory, root, va, access, true, scratch);
        if (scratch[0] != PageTableWalker.NO_PDE) {
            iotlb.storePde(pasid, va, scratch[0], startGeneration);
        }
        return packed;
    }

    /** Walks and fills the IOTLB: the packed mapping, or a packed fault (no page request, nothing recorded). */
    long fill(int pasid, long va, Access access, long[] scratch) {
        long startGeneration = iotlb.generation();
        long packed = walk(pasid, va, access, scratch, startGeneration);
        if (packed >= 0) {
            iotlb.store(pasid, va, packed, null, startGeneration);
        }
        return packed;
    }

    /** As {@link #fill}, as a value; the IOTLB keeps the mapping object for later value lookups. */
    Translation fillValue(int pasid, long va, Access access) {
        long startGeneration = iotlb.generation();
        long packed = walk(pasid, va, access, new long[1], startGeneration);
        Translation t = PageTableWalker.unpack(packed, pasid, va, access);
        if (t instanceof Mapping m) {
            iotlb.store(pasid, va, packed, m, startGeneration);
        }
        return t;
    }

    /**
     * A walk failed with {@code kind} on its {@code attempt}-th try: {@code null} when a page request
     * brought the page in (walk again), else the fault, recorded.
     */
    Fault settle(FaultKind kind, int attempt, int pasid, long va, Access access) {
        PageResponse response = kind != FaultKind.NOT_PRESENT || attempt > pageRequestAttempts ? null
                : outcomes.pageRequest(pasid, va, access);
        if (response == PageResponse.SUCCESS) {
            return null;
        }
        Fault fault = new Fault(response == PageResponse.FAILURE ? FaultKind.PAGE_REQUEST_FAILED : kind, pasid, va, access);
        outcomes.record(fault);
        return fault;
    }

    /**
     * After a miss: walk and fill, with page requests for a not-present page. The packed mapping, or
     * a negative value with the recorded fault in {@code fault[0]}.
     */
    long resolve(int pasid, long va, Access access, long[] scratch, Fault[] fault) {
        for (int attempt = 1; ; attempt++) {
            long packed = fill(pasid, va, access, scratch);
            if (packed >= 0) {
                return packed;
            }
            Fault settled = settle(PageTableWalker.faultKind(packed), attempt, pasid, va, access);
            if (settled != null) {
                fault[0] = settled;
                return packed;
            }
        }
    }
}
