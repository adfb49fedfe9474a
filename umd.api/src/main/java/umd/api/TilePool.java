package umd.api;

/** A pool of 64 KiB tiles that tiled resources map their tiles to. */
public interface TilePool {
    int TILE_SIZE = 64 * 1024;

    int tiles();

    /** The allocation holding the pool's memory. */
    Resource memory();
}
