package umd.api;

/**
 * A tiled (reserved) resource: {@link #tiles()} tiles of 64 KiB, each NULL or mapped to a tile of a
 * {@link TilePool}. Its first-level translation (tile -> shared VA) is the UMD's table, kept in the
 * process's own memory at {@link #tableVa()}: eight bytes a tile, the VA of the backing tile or 0.
 */
public interface TiledResource {
    int tiles();

    long size();

    /** Where the tile table lives in the process. */
    long tableVa();
}
