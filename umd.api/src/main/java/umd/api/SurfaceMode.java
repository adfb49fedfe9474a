package umd.api;

/** A video present source's mode, as a primary must match it (B8G8R8A8). */
public record SurfaceMode(int source, int width, int height, int pitch) {
    public long bytes() {
        return (long) pitch * height;
    }
}
