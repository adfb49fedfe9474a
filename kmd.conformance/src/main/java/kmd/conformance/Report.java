package kmd.conformance;

import java.util.ArrayList;
import java.util.List;

/**
 * What a conformance run found: one result per check, in the order they ran.
 *
 * @param driver  the driver's {@code kmd.name}
 * @param adapter the adapter it ran on
 * @param results the checks' outcomes
 */
public record Report(String driver, int adapter, List<CheckResult> results) {
    public Report {
        results = List.copyOf(results);
    }

    public long passed() {
        return results.stream().filter(CheckResult::passed).count();
    }

    public long failed() {
        return results.size() - passed();
    }

    /** The failed result of check {@code name}, or null when it passed or did not run. */
    public CheckResult failure(String name) {
        return results.stream().filter(r -> r.name().equals(name) && !r.passed()).findFirst().orElse(null);
    }

    /** One line per check, then {@code N passed, M failed}. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        results.forEach(r -> lines.add(r.line()));
        lines.add(passed() + " passed, " + failed() + " failed");
        return lines;
    }
}
