package workloads.internal;

import java.util.Map;

/** A simulated application. {@link #run} spawns its processes, does its work through umd.api, and reports. */
interface Scenario {
    String name();

    String description();

    /** Runs with {@code key=value} options; adds what it did to {@code report}. */
    void run(Machine machine, Map<String, String> options, Report report) throws Exception;
}
