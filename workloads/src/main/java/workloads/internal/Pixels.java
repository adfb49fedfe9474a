package workloads.internal;

/** The colours the scenarios draw, as 0xRRGGBB; the tests recompute them from the same rules. */
final class Pixels {
    /** The tiled scenario's colour for tile {@code i}. */
    static final int[] PALETTE = {0xE6194B, 0x3CB44B, 0xFFE119, 0x4363D8, 0xF58231, 0x911EB4};

    private Pixels() {
    }

    /** B8G8R8A8 bytes of an opaque 0xRRGGBB colour. */
    static void put(byte[] row, int x, int rgb) {
        row[4 * x] = (byte) rgb;
        row[4 * x + 1] = (byte) (rgb >>> 8);
        row[4 * x + 2] = (byte) (rgb >>> 16);
        row[4 * x + 3] = (byte) 0xFF;
    }

    /** The gradient scenario: the CPU's top half. */
    static int gradientTop(int x, int y, int w, int h) {
        return ((x * 255 / (w - 1)) << 16) | ((y * 255 / (h - 1)) << 8) | 0x40;
    }

    /** The gradient scenario: the GPU's bottom half, one colour a row. */
    static int gradientBottom(int y, int h) {
        return ((y * 255 / (h - 1)) << 8) | 0xC0;
    }

    /** The hybrid scenario's colour bars, left to right. */
    static final int[] BARS = {0xFFFFFF, 0xFFFF00, 0x00FFFF, 0x00FF00, 0xFF00FF, 0xFF0000, 0x0000FF, 0x000000};

    /** The hybrid scenario: eight vertical colour bars; bar {@code i} covers x in [i*w/8, (i+1)*w/8). */
    static int bar(int x, int w) {
        return BARS[x * BARS.length / w];
    }

    /** The sharing scenario's quadrants. */
    static int quadrant(int x, int y, int w, int h) {
        boolean right = x >= w / 2;
        boolean bottom = y >= h / 2;
        return bottom ? (right ? 0xFFFFFF : 0x0000FF) : (right ? 0x00FF00 : 0xFF0000);
    }
}
