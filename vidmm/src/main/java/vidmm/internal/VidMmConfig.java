package vidmm.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "VidMm", description = "Video memory manager policy.")
public @interface VidMmConfig {
    String PID = "vidmm";

    @AttributeDefinition(name = "Residency budget per process (MiB)", min = "1")
    long budgetMiB() default 1024;
}
