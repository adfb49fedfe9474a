package benchmarks;

/** Baselines shared by the benchmarks: what the same work costs without the model. */
final class Baselines {
    private Baselines() {
    }

    /** Copies {@code bytes} page by page (4 KiB {@code System.arraycopy} calls), the granularity of a DMA engine. */
    static byte[] pageCopies(byte[] src, byte[] dst, int bytes) {
        for (int off = 0; off < bytes; off += 4096) {
            System.arraycopy(src, off, dst, off, 4096);
        }
        return dst;
    }
}
