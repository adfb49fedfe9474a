package vidmm;

/**
 * A primary mapped into the aperture segment because a video present source displays it.
 *
 * @param source     the video present source
 * @param allocation the primary
 * @param pid        its process
 * @param firstPage  first aperture-segment page
 * @param pages      pages mapped
 * @param frames     the system-memory frames behind them, in order
 * @param adapter    the adapter whose aperture it is
 */
public record ApertureMapping(int source, long allocation, int pid, long firstPage, long pages, long[] frames, int adapter) {
}
