package umd.api;

/**
 * A resource of a device: a buffer, a 2D texture or a primary (B8G8R8A8, rows {@code pitch} bytes
 * apart), backed by one kernel allocation at {@link #va()} in the process.
 */
public interface Resource {
    long allocation();

    /** The shared CPU/GPU virtual address; a lock returns it (no copy in the IoMmu model). */
    long va();

    long size();

    /** Pixels a row for textures and primaries, 0 for buffers. */
    int width();

    int height();

    int pitch();

    /** The handle another process opens it by, 0 if not shared. */
    long sharedHandle();
}
