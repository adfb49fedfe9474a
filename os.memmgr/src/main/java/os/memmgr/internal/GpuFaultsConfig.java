package os.memmgr.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

@ObjectClassDefinition(name = "GPU fault policy", description = "What a GPU access to a page that is not present does"
        + " (applies at once, to every IOMMU unit's devices).")
public @interface GpuFaultsConfig {
    String PID = "os.memmgr.GpuFaults";

    @AttributeDefinition(name = "Policy", description = "windows: memory a GPU uses must be resident; an access to"
            + " anything else is a page fault (engine reset). sva: the OS serves the device's page requests (demand"
            + " zero, page-in), as Linux's shared virtual addressing does.",
            options = {@Option(label = "windows", value = "windows"), @Option(label = "sva", value = "sva")})
    String policy() default "windows";
}
