package vidmm;

/**
 * A kernel-mode driver service VidMm knows.
 *
 * @param name      its {@code kmd.name}
 * @param serviceId its service id
 * @param score     its {@code kmd.match.score}
 * @param ranking   its service ranking
 * @param attached  whether it is the attached driver
 * @param refusal   why VidMm refused it, or null
 */
public record DriverBinding(String name, long serviceId, int score, int ranking, boolean attached, String refusal) {
}
