package os.memmgr.internal;

import iommu.hw.internal.IommuFixture;

import java.nio.file.Path;
import java.util.function.LongPredicate;

import iommu.hw.Iommu;
import iommu.hw.SystemMemory;

/**
 * os.memmgr's test fixture: the OS memory manager built outside a framework, for the tests and
 * benchmarks of later modules (they depend on this module's test-jar, which holds only the fixture).
 * The constructors it calls are package-private: other modules build the memory manager here or, in
 * a framework, through its configuration.
 */
public final class OsFixture {
    private OsFixture() {
    }

    /** Without a pagefile, trimming at 1% of memory, with {@code iommu} as its one unit. */
    public static WindowsMemoryManager memoryManager(SystemMemory memory, Iommu iommu) {
        return new WindowsMemoryManager(memory, iommu, IommuFixture.drivers(memory));
    }

    /** With a pagefile of {@code pagefileMiB} at {@code pagefile}. */
    public static WindowsMemoryManager memoryManager(SystemMemory memory, Iommu iommu, Path pagefile, long pagefileMiB,
                                                     int lowWaterPercent) {
        return new WindowsMemoryManager(memory, iommu, IommuFixture.drivers(memory), pagefile, pagefileMiB, lowWaterPercent);
    }

    /** As above; the pagefile's I/O operation {@code n} fails when {@code failIo.test(n)}. */
    public static WindowsMemoryManager memoryManager(SystemMemory memory, Iommu iommu, Path pagefile, long pagefileMiB,
                                                     int lowWaterPercent, LongPredicate failIo) {
        return new WindowsMemoryManager(memory, iommu, IommuFixture.drivers(memory), pagefile, pagefileMiB, lowWaterPercent, failIo);
    }
}
