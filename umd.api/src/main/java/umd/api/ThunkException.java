package umd.api;

/**
 * A refused kernel thunk. {@link #status()} is the kernel's status name (e.g. {@code INVALID_HANDLE},
 * {@code DEVICE_IN_ERROR}); the message names what was wrong. A refused thunk changed nothing.
 */
public class ThunkException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String status;

    public ThunkException(String status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public String status() {
        return status;
    }
}
