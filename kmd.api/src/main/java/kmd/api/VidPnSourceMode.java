package kmd.api;

/**
 * The mode of a video present source: a primary presented on it must span {@code pitch * height}
 * bytes of B8G8R8A8 pixels.
 */
public record VidPnSourceMode(int sourceId, int width, int height, int pitch) {
    public long surfaceBytes() {
        return (long) pitch * height;
    }
}
