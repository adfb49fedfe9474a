package vidmm;

/**
 * An adapter taken from its drivers by {@link VidMm#hold}: while it is open no driver is attached
 * there, and its holder programs the hardware alone. Closing it gives the adapter back (once; later
 * closes do nothing).
 */
public interface AdapterHold extends AutoCloseable {
    /** The adapter's index. */
    int adapter();

    /** VidMm attaches the best matching driver again and replays every live process, device and primary to it. */
    @Override
    void close();
}
