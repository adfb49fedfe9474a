package kmd.conformance.internal;

import gpu.hw.PciIdentity;
import gpu.hw.internal.SimulatedGpu;
import iommu.hw.internal.IommuUnit;
import iommu.hw.internal.LazySystemMemory;
import os.memmgr.internal.WindowsMemoryManager;

/** The real hardware and OS the kit needs, wired as SCR wires them: memory, an IOMMU unit, the OS, a GPU with two 64x48 sources. */
final class Machine implements AutoCloseable {
    final LazySystemMemory memory = new LazySystemMemory(256L << 20);
    final IommuUnit iommu = new IommuUnit(memory, 4096, 64, 4);
    final WindowsMemoryManager mm = new WindowsMemoryManager(memory, iommu);
    final SimulatedGpu gpu = new SimulatedGpu(iommu, memory, new PciIdentity(0x1234, 0x1111, 2), 4096,
            SimulatedGpu.modes(2, 64, 48));

    @Override
    public void close() {
        try {
            gpu.powerOff();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
