package os.memmgr;

/**
 * What VirtualQuery reports: a run of pages from {@code base} with the same state and protection.
 *
 * @param base           first page of the run
 * @param size           bytes in the run
 * @param allocationBase base of the reservation holding it (0 when free)
 * @param state          free, reserved or committed
 * @param protection     protection of committed pages ({@code null} unless committed)
 * @param type           private memory or a section view ({@code null} when free)
 */
public record RegionInfo(long base, long size, long allocationBase, State state, PageProtection protection,
                         Type type) {
    public enum State { FREE, RESERVE, COMMIT }

    public enum Type { PRIVATE, MAPPED }

    @Override
    public String toString() {
        return String.format("base 0x%x size 0x%x allocation 0x%x %s%s%s", base, size, allocationBase, state,
                protection == null ? "" : " " + protection.shortName(), type == null ? "" : " " + type);
    }
}
