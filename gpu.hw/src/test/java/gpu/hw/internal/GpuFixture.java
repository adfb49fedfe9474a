package gpu.hw.internal;

import java.util.List;

import gpu.hw.DisplayMode;
import gpu.hw.PciIdentity;
import iommu.hw.DmaInitiator;
import iommu.hw.SystemMemory;

/**
 * gpu.hw's test fixture: simulated adapters built outside a framework, for the tests and benchmarks
 * of this and later modules (they depend on this module's test-jar, which holds only the fixture and
 * {@link DeviceTlbAccess}). The constructors it calls are package-private: other modules build
 * adapters here or, in a framework, through their configurations.
 */
public final class GpuFixture {
    private GpuFixture() {
    }

    /** Adapter {@code index} behind {@code dma}'s IOMMU unit, with two copy engines and a device TLB. */
    public static SimulatedGpu adapter(int index, DmaInitiator dma, SystemMemory memory, PciIdentity identity,
                                       long aperturePages, List<DisplayMode> modes) {
        return new SimulatedGpu(index, dma, memory, identity, aperturePages, modes);
    }

    /**
     * Adapter {@code index} with one physical GPU per DMA port in {@code gpus} (two: a linked adapter),
     * each with {@code copyEngines} copy engines; with {@code ats}, each caches translations in its own
     * device TLB (PCIe ATS).
     */
    public static SimulatedGpu adapter(int index, List<DmaInitiator> gpus, SystemMemory memory, PciIdentity identity,
                                       long aperturePages, List<DisplayMode> modes, int copyEngines, boolean ats) {
        return new SimulatedGpu(index, gpus, memory, identity, aperturePages, modes, copyEngines, ats);
    }
}
