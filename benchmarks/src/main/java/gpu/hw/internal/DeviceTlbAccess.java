package gpu.hw.internal;

import iommu.hw.Access;
import iommu.hw.AtsPort;
import iommu.hw.DmaInitiator;
import iommu.hw.Translation;

/**
 * What the benchmarks measure of a GPU's device TLB (package-private in gpu.hw), from its own package on
 * the benchmarks' class path: a lookup, and a miss as {@link AtsDma} takes it (a translation request to
 * the IOMMU unit, then the fill).
 */
public final class DeviceTlbAccess {
    private final DeviceTlb tlb;
    private final AtsPort port;

    /** A device TLB of {@code slots} entries attached to {@code unit} as a GPU's is. */
    public DeviceTlbAccess(DmaInitiator unit, int slots) {
        tlb = new DeviceTlb(slots);
        port = unit.attach(tlb);
    }

    /** The page of {@code va} if cached for reading, else -1 (an engine's hit path; it counts per transfer). */
    public long lookup(int pasid, long va) {
        return tlb.lookup(pasid, va, DeviceTlb.READ);
    }

    /** The page of {@code va} for a read: a hit, or a translation request to the unit and a fill. */
    public long translate(int pasid, long va) {
        long page = tlb.lookup(pasid, va, DeviceTlb.READ);
        if (page != DeviceTlb.MISS) {
            return page;
        }
        long generation = tlb.generation();
        Translation t = port.translate(pasid, va, Access.READ);
        if (!(t instanceof Translation.Mapping m)) {
            throw new IllegalStateException("translation request for 0x" + Long.toHexString(va) + ": " + t);
        }
        tlb.fill(pasid, va, m, DeviceTlb.READ, generation);
        return m.physicalAddress(va) & ~0xFFFL;
    }
}
