package vidmm;

/**
 * A kernel-mode driver service as a candidate for one adapter.
 *
 * @param adapter   the adapter's index
 * @param name      its {@code kmd.name}
 * @param serviceId its service id
 * @param score     what its {@code match} answered for the adapter (0: it does not match, never attached)
 * @param ranking   its service ranking
 * @param attached  whether it is the attached driver
 * @param refusal   why VidMm refused it, or null
 */
public record DriverBinding(int adapter, String name, long serviceId, int score, int ranking, boolean attached, String refusal) {
}
