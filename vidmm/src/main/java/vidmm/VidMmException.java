package vidmm;

/** A refused VidMm call; the message names what was wrong. */
public class VidMmException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final VidMmStatus status;

    public VidMmException(VidMmStatus status, String message) {
        super(status + ": " + message);
        this.status = status;
    }

    public VidMmException(VidMmStatus status, String message, Throwable cause) {
        super(status + ": " + message, cause);
        this.status = status;
    }

    public VidMmStatus status() {
        return status;
    }
}
