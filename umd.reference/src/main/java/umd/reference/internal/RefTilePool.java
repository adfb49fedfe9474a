package umd.reference.internal;

import umd.api.Resource;
import umd.api.TilePool;

/** A tile pool: {@code tiles} tiles of 64 KiB in one allocation. */
final class RefTilePool implements TilePool {
    private final int tiles;
    final RefResource memory;

    RefTilePool(int tiles, RefResource memory) {
        this.tiles = tiles;
        this.memory = memory;
    }

    long tileVa(int tile) {
        return memory.va() + (long) tile * TILE_SIZE;
    }

    @Override
    public int tiles() {
        return tiles;
    }

    @Override
    public Resource memory() {
        return memory;
    }
}
