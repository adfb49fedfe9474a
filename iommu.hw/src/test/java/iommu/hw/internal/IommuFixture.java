package iommu.hw.internal;

import iommu.hw.SystemMemory;

/**
 * iommu.hw's test fixture: its memory and IOMMU units built outside a framework, for the tests and
 * benchmarks of this and later modules (they depend on this module's test-jar, which holds only the
 * fixture and {@link DirectInvalidation}). The constructors it calls are package-private: other
 * modules build these classes here or, in a framework, through their configurations.
 */
public final class IommuFixture {
    private IommuFixture() {
    }

    /** Memory of {@code bytes} bytes, a positive multiple of the frame size. */
    public static LazySystemMemory memory(long bytes) {
        return new LazySystemMemory(bytes);
    }

    /** IOMMU unit {@code unit}; a device-TLB invalidation times out after one second. */
    public static IommuUnit unit(SystemMemory memory, int unit, int iotlbEntries, int faultLogSize,
                                 int pageRequestAttempts) {
        return new IommuUnit(memory, unit, iotlbEntries, faultLogSize, pageRequestAttempts);
    }

    /** As above; a device that does not answer a device-TLB invalidation within {@code deviceTlbTimeoutMillis} times out. */
    public static IommuUnit unit(SystemMemory memory, int unit, int iotlbEntries, int faultLogSize,
                                 int pageRequestAttempts, int deviceTlbTimeoutMillis) {
        return new IommuUnit(memory, unit, iotlbEntries, faultLogSize, pageRequestAttempts, deviceTlbTimeoutMillis);
    }
}
