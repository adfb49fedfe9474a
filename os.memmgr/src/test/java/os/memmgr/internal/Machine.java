package os.memmgr.internal;

import iommu.hw.internal.IommuUnit;
import iommu.hw.internal.LazySystemMemory;

/** Test fixture: system memory, an IOMMU and the memory manager, wired as SCR would wire them. */
final class Machine {
    final LazySystemMemory memory;
    final IommuUnit iommu;
    final WindowsMemoryManager mm;

    Machine(long memoryBytes) {
        memory = new LazySystemMemory(memoryBytes);
        iommu = new IommuUnit(memory, 4096, 256, 4);
        mm = new WindowsMemoryManager(memory, iommu);
    }

    Machine() {
        this(256L << 20);
    }
}
