package os.memmgr;

/** A failed memory-manager call. The message names the argument or address that was wrong. */
public class MemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final Status status;

    public MemoryException(Status status, String message) {
        super(status + ": " + message);
        this.status = status;
    }

    public Status status() {
        return status;
    }
}
