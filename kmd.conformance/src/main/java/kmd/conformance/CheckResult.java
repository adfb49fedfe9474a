package kmd.conformance;

/**
 * The outcome of one conformance check.
 *
 * @param name    the check's name, as {@code PASS name} / {@code FAIL name: ...} prints it
 * @param failure what was wrong, in one line, or null when the check passed
 * @param millis  how long the check ran
 */
public record CheckResult(String name, String failure, long millis) {
    public boolean passed() {
        return failure == null;
    }

    /** {@code PASS name} or {@code FAIL name: what was wrong}. */
    public String line() {
        return passed() ? "PASS " + name : "FAIL " + name + ": " + failure;
    }
}
