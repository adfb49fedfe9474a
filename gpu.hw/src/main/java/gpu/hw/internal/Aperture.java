package gpu.hw.internal;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

import gpu.hw.ApertureInfo;

/** The GART: one entry a page, holding a frame number; unmapped entries hold the dummy frame. */
final class Aperture {
    /** GPU-physical base of the aperture, where old AGP apertures used to live. */
    static final long BASE = 0xE000_0000L;

    private final AtomicLongArray entries;
    private final long dummyFrame;
    private final long frameCount;

    Aperture(long pages, long dummyFrame, long frameCount) {
        if (pages < 1 || pages > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("aperture pages must be 1.." + Integer.MAX_VALUE + ", not " + pages);
        }
        long[] initial = new long[(int) pages];
        Arrays.fill(initial, dummyFrame);
        this.entries = new AtomicLongArray(initial);
        this.dummyFrame = dummyFrame;
        this.frameCount = frameCount;
    }

    ApertureInfo info() {
        return new ApertureInfo(BASE, entries.length(), dummyFrame);
    }

    private void checkRange(long first, long count) {
        if (first < 0 || count < 0 || first + count > entries.length()) {
            throw new IllegalArgumentException("aperture pages " + first + ".." + (first + count - 1)
                    + " are outside the aperture of " + entries.length() + " pages");
        }
    }

    synchronized void map(long first, long[] frames) {
        checkRange(first, frames.length);
        for (long f : frames) {
            if (f < 0 || f >= frameCount) {
                throw new IllegalArgumentException("frame " + f + " is outside system memory (" + frameCount + " frames)");
            }
        }
        for (int i = 0; i < frames.length; i++) {
            entries.set((int) (first + i), frames[i]);
        }
    }

    synchronized void unmap(long first, long count) {
        checkRange(first, count);
        for (int i = 0; i < count; i++) {
            entries.set((int) (first + i), dummyFrame);
        }
    }

    long frame(long page) {
        checkRange(page, 1);
        return entries.get((int) page);
    }

    boolean mapped(long page) {
        return entries.get((int) page) != dummyFrame;
    }

    long mappedPages() {
        long n = 0;
        for (int i = 0; i < entries.length(); i++) {
            n += entries.get(i) != dummyFrame ? 1 : 0;
        }
        return n;
    }

    /** The aperture page of a GPU-physical address, or -1 if it is outside the aperture. */
    long pageOf(long address) {
        long offset = address - BASE;
        return offset < 0 || offset >= ((long) entries.length() << 12) ? -1 : offset >>> 12;
    }
}
