package workloads.internal;

import java.util.Map;

/** A simulated application. {@link #run} spawns its processes, does its work through umd.api, and reports. */
interface Scenario {
    String name();

    String description();

    /** The option keys it reads (shown in its description); any other is refused before it runs. */
    java.util.Set<String> options();

    /** Runs with {@code key=value} options; adds what it did to {@code report}. */
    void run(Machine machine, Map<String, String> options, Report report) throws Exception;
}
