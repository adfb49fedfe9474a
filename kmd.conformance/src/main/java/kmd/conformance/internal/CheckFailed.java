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

    /** Fails unless {@code call} throws a RuntimeException with a message ({@code what} names the call). */
    static void refused(Runnable call, String what) {
        try {
            call.run();
        } catch (RuntimeException e) {
            require(e.getMessage() != null && !e.getMessage().isBlank(), what + " was refused with no message ("
                    + e.getClass().getName() + ")");
            return;
        }
        throw new CheckFailed(what + " was accepted; it must be refused");
    }
}
