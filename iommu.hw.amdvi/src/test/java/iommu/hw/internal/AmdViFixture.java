package iommu.hw.internal;

import iommu.hw.SystemMemory;
import iommu.hw.amdvi.AmdViRegisters;
import iommu.hw.amdvi.internal.AmdViArchitecture;
import iommu.hw.driver.IommuDriverFactory;

/**
 * The test fixture of the AMD-Vi architecture: AMD-Vi units built outside a framework, and the
 * architecture's driver factory, for the tests and benchmarks of this and later modules (they depend on
 * this module's test-jar, which holds only the fixture). The unit's constructor is package-private:
 * other modules build units here or, in a framework, through their configurations.
 */
public final class AmdViFixture {
    private AmdViFixture() {
    }

    /** AMD-Vi unit {@code unit}; a device that does not answer an IOTLB invalidation within {@code deviceTlbTimeoutMillis} times out. */
    public static IommuUnit unit(SystemMemory memory, int unit, int iotlbEntries, int faultLogSize, int pageRequestAttempts,
                                 int deviceTlbTimeoutMillis) {
        return new IommuUnit(memory, new AmdViArchitecture(memory), AmdViArchitecture.NAME, unit, iotlbEntries, faultLogSize,
                pageRequestAttempts, deviceTlbTimeoutMillis);
    }

    /** The OS-side drivers of the units above (what the AMD-Vi bundle registers). */
    public static IommuDriverFactory drivers(SystemMemory memory) {
        return new AmdViArchitecture(memory);
    }

    /** The AMD-Vi registers of {@code unit}. */
    public static AmdViRegisters registers(iommu.hw.Iommu unit) {
        return unit.registers(AmdViRegisters.class);
    }
}
