package iommu.hw.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "IOMMU", description = "PASID-tagged translation with an IOTLB.")
public @interface IommuConfig {
    String PID = "iommu.hw.Iommu";

    @AttributeDefinition(name = "IOTLB entries", min = "1", max = "1048576",
            description = "Entries of the direct-mapped IOTLB; a power of two.")
    int iotlbEntries() default 65536;

    @AttributeDefinition(name = "Fault log size", min = "1", max = "65536",
            description = "How many recent faults the fault log keeps.")
    int faultLogSize() default 256;

    @AttributeDefinition(name = "Page request attempts", min = "1", max = "64",
            description = "Page requests for one access before it faults as not present.")
    int pageRequestAttempts() default 4;
}
