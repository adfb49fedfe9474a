package iommu.hw.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * One IOMMU unit (a factory configuration per unit: {@code iommu.hw.Iommu~0}, {@code ~1}, ...). Its
 * {@code iommu.unit} is also a service property, which an adapter's {@code dma.target} selects.
 */
@ObjectClassDefinition(name = "IOMMU unit", description = "PASID-tagged translation with an IOTLB; one configuration per unit.")
public @interface IommuConfig {
    String PID = "iommu.hw.Iommu";
    /** The architecture of a unit whose configuration names none. */
    String DEFAULT_ARCH = "vtd";

    /**
     * The options are the architectures the model ships; the shell refuses any other name. A
     * configuration written otherwise may name another architecture bundle's: the unit starts when a
     * bundle registers it.
     */
    @AttributeDefinition(name = "Architecture", description = "The unit's architecture, as an architecture bundle registers it"
            + " (vtd: Intel VT-d in scalable mode; amdvi: AMD-Vi with guest translation); a change restarts the unit on it.",
            options = {@Option(label = "Intel VT-d", value = "vtd"), @Option(label = "AMD-Vi", value = "amdvi")})
    String arch() default DEFAULT_ARCH;

    @AttributeDefinition(name = "Unit index", min = "0", max = "15",
            description = "The unit's index, as adapters (dma.target) and the shell name it; unique per machine.")
    int iommu_unit() default 0;

    @AttributeDefinition(name = "IOTLB entries", min = "1", max = "1048576",
            description = "Entries of the direct-mapped IOTLB; a power of two.")
    int iotlbEntries() default 65536;

    @AttributeDefinition(name = "Fault log size", min = "1", max = "65536",
            description = "How many recent faults the fault log keeps.")
    int faultLogSize() default 256;

    @AttributeDefinition(name = "Page request attempts", min = "1", max = "64",
            description = "Page requests for one access before it faults as not present.")
    int pageRequestAttempts() default 4;

    @AttributeDefinition(name = "Device-TLB invalidation time-out (ms)", min = "1", max = "60000",
            description = "How long a device has to answer a device-TLB invalidation before the unit reports an"
                    + " invalidation time-out (ITE) and refuses the device's translated requests until it resets.")
    int deviceTlbTimeoutMillis() default 1000;
}
