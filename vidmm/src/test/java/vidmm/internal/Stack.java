package vidmm.internal;

import gpu.hw.internal.SimulatedGpu;
import iommu.hw.internal.IommuUnit;
import iommu.hw.internal.LazySystemMemory;
import kmd.reference.internal.ReferenceKmd;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;

/** The machine these tests share (machine.testing.TestMachine): memory, IOMMU, OS, GPU (two 64x48 sources), reference KMD, VidMm. */
final class Stack {
    final TestMachine machine;
    final LazySystemMemory memory;
    final IommuUnit iommu;
    final WindowsMemoryManager mm;
    final SimulatedGpu gpu;
    final ReferenceKmd kmd;
    final VideoMemoryManager vidmm;

    Stack(long apertureCommitLimit) {
        this(TestMachine.builder().reference(TestMachine.IOMMU, apertureCommitLimit));
    }

    Stack(TestMachine.Builder builder) {
        machine = builder.build();
        memory = machine.memory();
        iommu = machine.iommu();
        mm = machine.os();
        gpu = machine.gpu();
        kmd = machine.reference();
        vidmm = machine.vidmm();
    }

    void stop() throws InterruptedException {
        machine.close();
    }
}
