package iommu.hw.internal;

import iommu.hw.SystemMemory;
import iommu.hw.driver.IommuDriverFactory;
import iommu.hw.vtd.internal.VtdArchitecture;

/**
 * The test fixture of iommu.hw and its VT-d architecture: memory and VT-d units built outside a
 * framework, and the architecture's driver factory, for the tests and benchmarks of this and later
 * modules (they depend on this module's test-jar, which holds only the fixture and
 * {@link DirectInvalidation}). The unit's constructor is package-private: other modules build units
 * here or, in a framework, through their configurations.
 */
public final class IommuFixture {
    private IommuFixture() {
    }

    /** Memory of {@code bytes} bytes, a positive multiple of the frame size. */
    public static LazySystemMemory memory(long bytes) {
        return new LazySystemMemory(bytes);
    }

    /** VT-d unit {@code unit}; a device-TLB invalidation times out after one second. */
    public static IommuUnit unit(SystemMemory memory, int unit, int iotlbEntries, int faultLogSize,
                                 int pageRequestAttempts) {
        return unit(memory, unit, iotlbEntries, faultLogSize, pageRequestAttempts, 1000);
    }

    /** As above; a device that does not answer a device-TLB invalidation within {@code deviceTlbTimeoutMillis} times out. */
    public static IommuUnit unit(SystemMemory memory, int unit, int iotlbEntries, int faultLogSize,
                                 int pageRequestAttempts, int deviceTlbTimeoutMillis) {
        return new IommuUnit(memory, new VtdArchitecture(memory), VtdArchitecture.NAME, unit, iotlbEntries, faultLogSize,
                pageRequestAttempts, deviceTlbTimeoutMillis);
    }

    /** The context entry of device {@code requesterId} on VT-d unit {@code unit} as memory holds it, or null. */
    public static iommu.hw.vtd.ContextEntry contextEntry(IommuUnit unit, int requesterId) {
        return ((iommu.hw.vtd.internal.VtdUnit) unit.architectureUnit()).contextEntry(iommu.hw.RequesterId.of(requesterId));
    }

    /** The eight words of {@code pasid}'s entry for the unit's test device as memory holds them, or null. */
    public static long[] pasidEntry(IommuUnit unit, int pasid) {
        return ((iommu.hw.vtd.internal.VtdUnit) unit.architectureUnit()).pasidEntry(IommuUnit.TEST_DEVICE, pasid);
    }

    /** The VT-d registers of {@code unit}. */
    public static iommu.hw.vtd.VtdRegisters registers(iommu.hw.Iommu unit) {
        return unit.registers(iommu.hw.vtd.VtdRegisters.class);
    }

    /** The OS-side drivers of the units above (what the VT-d bundle registers). */
    public static IommuDriverFactory drivers(SystemMemory memory) {
        return new VtdArchitecture(memory);
    }
}
