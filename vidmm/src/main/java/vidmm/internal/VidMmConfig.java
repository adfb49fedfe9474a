package vidmm.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "VidMm", description = "Video memory manager policy.")
public @interface VidMmConfig {
    String PID = "vidmm";

    @AttributeDefinition(name = "Residency budget per process (MiB)", min = "1")
    long budgetMiB() default 1024;

    @AttributeDefinition(name = "TdrDelay (ms)", min = "10", max = "600000",
            description = "A submission whose engine makes no progress for this long is a timeout: its device is put in error and the engine reset.")
    long tdrDelayMillis() default 2000;

    @AttributeDefinition(name = "TdrDdiDelay (ms)", min = "0", max = "600000",
            description = "A DDI call still running this long after it started hangs its driver: a watchdog interrupts the calling thread, VidMm refuses the driver and attaches the next best with a replay once the call returns. 0: nothing watches the calls.")
    long tdrDdiDelayMillis() default 5000;

    @AttributeDefinition(name = "TdrLimitCount", min = "1", max = "1000",
            description = "More timeouts than this within TdrLimitTime, and the driver is given up (the next best is tried).")
    int tdrLimitCount() default 5;

    @AttributeDefinition(name = "TdrLimitTime (s)", min = "1", max = "86400")
    long tdrLimitTimeSeconds() default 60;
}
