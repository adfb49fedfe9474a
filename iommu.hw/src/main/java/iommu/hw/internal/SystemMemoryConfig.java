package iommu.hw.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "System memory",
        description = "Simulated physical memory. Host memory is used only for frames that were written.")
public @interface SystemMemoryConfig {
    String PID = "iommu.hw.SystemMemory";
    long MAX_MIB = 65536;

    @AttributeDefinition(name = "Size (MiB)", min = "1", max = "65536",
            description = "Physical memory in MiB; fixed from activation until the next start.")
    long sizeMiB() default 4096;
}
