package os.memmgr.internal;

import iommu.hw.amdvi.internal.AmdViArchitecture;
import iommu.hw.driver.IommuDriverFactory;
import iommu.hw.internal.AmdViFixture;
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

    /** The OS-side drivers of {@code iommu}'s architecture (VT-d's or AMD-Vi's), as its bundle registers them. */
    public static IommuDriverFactory drivers(SystemMemory memory, Iommu unit) {
        return unit.architecture().equals(AmdViArchitecture.NAME) ? AmdViFixture.drivers(memory) : IommuFixture.drivers(memory);
    }

    /** Without a pagefile, trimming at 1% of memory, with {@code iommu} as its one unit. */
    public static WindowsMemoryManager memoryManager(SystemMemory memory, Iommu iommu) {
        return new WindowsMemoryManager(memory, iommu, drivers(memory, iommu));
    }

    /** With a pagefile of {@code pagefileMiB} at {@code pagefile}. */
    public static WindowsMemoryManager memoryManager(SystemMemory memory, Iommu iommu, Path pagefile, long pagefileMiB,
                                                     int lowWaterPercent) {
        return new WindowsMemoryManager(memory, iommu, drivers(memory, iommu), pagefile, pagefileMiB, lowWaterPercent);
    }

    /** As above; the pagefile's I/O operation {@code n} fails when {@code failIo.test(n)}. */
    public static WindowsMemoryManager memoryManager(SystemMemory memory, Iommu iommu, Path pagefile, long pagefileMiB,
                                                     int lowWaterPercent, LongPredicate failIo) {
        return new WindowsMemoryManager(memory, iommu, drivers(memory, iommu), pagefile, pagefileMiB, lowWaterPercent, failIo);
    }
}
