package umd.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Commands recorded for a device, executed in order when submitted. Offsets are bytes from the
 * start of a resource. A tiled resource's offsets go through its tile table at submission: reading a
 * NULL tile gives zeros, writing one is dropped. Recording validates ranges and throws
 * {@link IllegalArgumentException} naming the problem.
 */
@ProviderType
public interface CommandList {
    CommandList copy(Resource src, long srcOffset, Resource dst, long dstOffset, long length);

    CommandList fill(Resource dst, long offset, long length, int pattern);

    /** Fills a rectangle of pixels of a texture or primary with a B8G8R8A8 colour given as 0xAARRGGBB. */
    CommandList fillRect(Resource dst, int x, int y, int width, int height, int argb);

    /** Copies a rectangle of pixels between textures or primaries. */
    CommandList blit(Resource src, int srcX, int srcY, Resource dst, int dstX, int dstY, int width, int height);

    /** Writes a 64-bit fence value at an offset of a resource, after everything before it. */
    CommandList writeFence(Resource dst, long offset, long value);

    CommandList fill(TiledResource dst, long offset, long length, int pattern);

    CommandList copy(TiledResource src, long srcOffset, Resource dst, long dstOffset, long length);

    CommandList copy(Resource src, long srcOffset, TiledResource dst, long dstOffset, long length);

    /** Commands recorded so far. */
    int size();
}
