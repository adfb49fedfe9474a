package os.memmgr.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Pagefile", description = "The OS memory manager's pagefile. A change takes effect"
        + " when the memory manager next starts (with the iommu.hw or os.memmgr bundle).")
public @interface PagingConfig {
    String PID = "os.memmgr.PagingFile";
    long MAX_MIB = 1L << 20;

    @AttributeDefinition(name = "Path", description = "The pagefile; relative paths are under the working directory."
            + " Locked while in use: a second instance pages to pagefile-2.sys, ... A stale one nobody holds is"
            + " truncated at start; a clean stop deletes only its own file.")
    String path() default "pagefile.sys";

    @AttributeDefinition(name = "Size (MiB)", min = "0", max = "1048576", description = "0 = no pagefile.")
    long sizeMiB() default 4096;

    @AttributeDefinition(name = "Low-water mark (% of RAM)", min = "0", max = "50", description = "Working sets are"
            + " trimmed when free frames fall under this share of memory (applies at once).")
    int lowWaterPercent() default 1;
}
