package vidmm.internal;

import gpu.hw.PciIdentity;
import gpu.hw.internal.SimulatedGpu;
import iommu.hw.internal.IommuUnit;
import iommu.hw.internal.LazySystemMemory;
import kmd.api.VidMmCaps;
import kmd.reference.internal.ReferenceKmd;
import os.memmgr.internal.WindowsMemoryManager;

/** The real parts wired as SCR wires them: memory, IOMMU, OS, GPU (two 64x48 sources), reference KMD, VidMm. */
final class Stack {
    final LazySystemMemory memory = new LazySystemMemory(256L << 20);
    final IommuUnit iommu = new IommuUnit(memory, 4096, 64, 4);
    final WindowsMemoryManager mm = new WindowsMemoryManager(memory, iommu);
    final SimulatedGpu gpu = new SimulatedGpu(iommu, memory, new PciIdentity(0x1234, 0x1111, 2), 4096,
            SimulatedGpu.modes(2, 64, 48));
    final ReferenceKmd kmd;
    final VideoMemoryManager vidmm;

    Stack(long apertureCommitLimit) {
        kmd = new ReferenceKmd(gpu, new VidMmCaps(true, true, false, false, false), apertureCommitLimit);
        vidmm = new VideoMemoryManager(kmd, mm, 1L << 30);
        mm.addProcessListener(vidmm);
    }

    void stop() throws InterruptedException {
        vidmm.stop();
        gpu.powerOff();
    }
}
