package os.memmgr;

/**
 * Pages locked in memory for DMA: their frames cannot be freed or reused until unpinned, even if the
 * range is decommitted or the process exits meanwhile.
 *
 * @param handle  identifies the pin for {@link AddressSpace#unpin(long)}
 * @param pid     the process whose pages were pinned
 * @param va      first byte pinned (page aligned)
 * @param frames  frame numbers of the pages, in address order
 */
public record PinnedPages(long handle, int pid, long va, long[] frames) {
    public long size() {
        return (long) frames.length << 12;
    }
}
