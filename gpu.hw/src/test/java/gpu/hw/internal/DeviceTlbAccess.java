package gpu.hw.internal;

import iommu.hw.Access;
import iommu.hw.DmaInitiator;
import iommu.hw.Translation;

/**
 * What the benchmarks measure of a GPU's device TLB (part of gpu.hw's test fixture): a lookup, and
 * a miss through {@link AtsDma#request}, the GPU's own (a translation request to the IOMMU unit,
 * then the fill).
 */
public final class DeviceTlbAccess {
    private final DeviceTlb tlb;
    private final AtsDma dma;

    /** A device TLB of {@code slots} entries attached to {@code unit} as a GPU's is. */
    public DeviceTlbAccess(DmaInitiator unit, int slots) {
        tlb = new DeviceTlb(slots);
        dma = new AtsDma(unit.attach(tlb), tlb);
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
        Translation t = dma.request(pasid, va, Access.READ, 1);
        if (!(t instanceof Translation.Mapping m)) {
            throw new IllegalStateException("translation request for 0x" + Long.toHexString(va) + ": " + t);
        }
        return m.physicalAddress(va) & ~0xFFFL;
    }
}
