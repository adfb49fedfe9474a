package os.memmgr.internal;

import iommu.hw.internal.IommuFixture;
import java.nio.file.Path;

import iommu.hw.internal.IommuUnit;
import iommu.hw.internal.LazySystemMemory;

/** Test fixture: system memory, an IOMMU and the memory manager, wired as SCR would wire them. */
final class Machine {
    final LazySystemMemory memory;
    final IommuUnit iommu;
    final WindowsMemoryManager mm;
    final PagingFile pagefile;

    Machine(long memoryBytes) {
        memory = IommuFixture.memory(memoryBytes);
        iommu = IommuFixture.unit(memory, 0, 4096, 256, 4);
        pagefile = PagingFile.none();
        mm = new WindowsMemoryManager(memory, iommu, IommuFixture.drivers(memory));
    }

    Machine() {
        this(256L << 20);
    }

    /** A machine with a pagefile (closed and deleted by {@link #shutdown()}). */
    Machine(long memoryBytes, PagingFile pagefile, int lowWaterPercent) {
        this(memoryBytes, pagefile, lowWaterPercent, 4);
    }

    /** With {@code pageRequestAttempts} page requests per access before the IOMMU gives up. */
    Machine(long memoryBytes, PagingFile pagefile, int lowWaterPercent, int pageRequestAttempts) {
        memory = IommuFixture.memory(memoryBytes);
        iommu = IommuFixture.unit(memory, 0, 4096, 256, pageRequestAttempts);
        this.pagefile = pagefile;
        mm = new WindowsMemoryManager(memory, iommu, IommuFixture.drivers(memory), pagefile, lowWaterPercent);
    }

    static Machine withPagefile(long memoryBytes, Path dir, long pagefileMiB) {
        return new Machine(memoryBytes, PagingFile.open(dir.resolve("pagefile.sys"), pagefileMiB), 1);
    }

    void shutdown() {
        mm.shutdown();
    }
}
