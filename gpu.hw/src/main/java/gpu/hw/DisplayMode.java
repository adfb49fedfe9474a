package gpu.hw;

/** A video present source's mode: {@code width} x {@code height} pixels, rows {@code pitch} bytes apart. */
public record DisplayMode(int width, int height, int pitch, PixelFormat format) {
    /** Bytes a surface in this mode spans. */
    public long surfaceBytes() {
        return (long) pitch * height;
    }

    @Override
    public String toString() {
        return width + "x" + height + " pitch " + pitch + " " + format;
    }
}
