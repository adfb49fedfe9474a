package gpu.hw.internal;

import iommu.hw.DmaInitiator;
import iommu.hw.DmaResult;

/**
 * How a GPU's engines reach memory: through their own device TLB with translated requests
 * ({@link AtsDma}), or with untranslated requests the IOMMU unit translates each ({@link #untranslated}).
 */
interface EngineDma {
    DmaResult read(int pasid, long va, byte[] dst);

    DmaResult write(int pasid, long va, byte[] src);

    DmaResult copy(int pasid, long srcVa, long dstVa, long length);

    /** Untranslated requests through the unit's DMA port: the GPU caches no translation. */
    static EngineDma untranslated(DmaInitiator unit) {
        return new EngineDma() {
            @Override
            public DmaResult read(int pasid, long va, byte[] dst) {
                return unit.read(pasid, va, dst);
            }

            @Override
            public DmaResult write(int pasid, long va, byte[] src) {
                return unit.write(pasid, va, src);
            }

            @Override
            public DmaResult copy(int pasid, long srcVa, long dstVa, long length) {
                return unit.copy(pasid, srcVa, dstVa, length);
            }
        };
    }
}
