package umd.reference.internal;

import umd.api.TilePool;
import umd.api.TiledResource;

/**
 * A tiled resource: its tile table (eight bytes a tile: the backing VA or 0) lives in the process at
 * {@code table.va()}; {@code pools} remembers which pool backs each tile, for residency only.
 */
final class RefTiledResource implements TiledResource {
    final RefResource table;
    final RefTilePool[] pools;

    RefTiledResource(RefResource table, int tiles) {
        this.table = table;
        this.pools = new RefTilePool[tiles];
    }

    @Override
    public int tiles() {
        return pools.length;
    }

    @Override
    public long size() {
        return (long) pools.length * TilePool.TILE_SIZE;
    }

    @Override
    public long tableVa() {
        return table.va();
    }
}
