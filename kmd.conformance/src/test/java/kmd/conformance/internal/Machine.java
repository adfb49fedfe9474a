package kmd.conformance.internal;

import gpu.hw.internal.SimulatedGpu;
import iommu.hw.internal.IommuUnit;
import iommu.hw.internal.LazySystemMemory;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;

/**
 * The real hardware and OS the kit needs (machine.testing.TestMachine with no driver, so that the
 * kit, playing VidMm, has the adapter to itself): memory, an IOMMU unit, the OS, a GPU with two 64x48 sources.
 */
final class Machine implements AutoCloseable {
    final TestMachine machine = TestMachine.builder().noDriver().build();
    final LazySystemMemory memory = machine.memory();
    final IommuUnit iommu = machine.iommu();
    final WindowsMemoryManager mm = machine.os();
    final SimulatedGpu gpu = machine.gpu();

    @Override
    public void close() {
        machine.close();
    }
}
