package kmd.conformance.internal;

/** A check found the driver wrong: the message says what, in one line. */
final class CheckFailed extends RuntimeException {
    CheckFailed(String what) {
        super(what, null, false, false);
    }

    /** Fails with {@code what} unless {@code condition} holds. */
    static void require(boolean condition, String what) {
        if (!condition) {
            throw new CheckFailed(what);
        }
    }
}
