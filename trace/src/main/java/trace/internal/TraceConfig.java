package trace.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Trace", description = "trace:start / trace:stop: the model's events as a Perfetto timeline.")
public @interface TraceConfig {
    String PID = "trace";

    @AttributeDefinition(name = "Buffer (events)", min = "1000", max = "10000000",
            description = "Events a trace keeps; past that the oldest are dropped (trace:stop says how many).")
    int bufferEvents() default 200000;
}
