package kmd.conformance.internal;

import java.util.List;

import umd.api.Resource;
import umd.api.TilePool;
import umd.api.TiledResource;
import umd.api.UmdDevice;

import static kmd.conformance.internal.CheckFailed.require;

/**
 * A UMD's resources do what the D3D calls say, checked against the process's memory: buffers copy
 * and fill exactly the bytes asked, textures fill and blit exactly the pixels asked (B8G8R8A8, rows
 * {@code pitch} apart), and a tiled resource's tiles reach the pool tiles they are mapped to, its
 * NULL tiles read as zero and drop writes, and its tile table in the process holds what it maps.
 */
final class UmdResourceChecks {
    private static final int TILE = TilePool.TILE_SIZE;

    private UmdResourceChecks() {
    }

    static List<Check<UmdSession>> all() {
        return List.of(new Check<>("umd.buffer", UmdResourceChecks::buffer),
                new Check<>("umd.texture", UmdResourceChecks::texture), new Check<>("umd.tiled", UmdResourceChecks::tiled));
    }

    static void buffer(UmdSession s) {
        UmdDevice d = s.device();
        Resource src = d.createBuffer(3 * 4096, false);
        Resource dst = d.createBuffer(3 * 4096, false);
        require(src.size() >= 3 * 4096 && dst.size() >= 3 * 4096, "createBuffer(12288) made " + src.size() + " bytes");
        byte[] data = new byte[3 * 4096];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 13 + 5);
        }
        long srcVa = d.lock(src);
        require(srcVa == src.va(), "lock returned 0x" + Long.toHexString(srcVa) + ", not the shared VA 0x"
                + Long.toHexString(src.va()));
        s.write(srcVa, data);
        d.unlock(src);
        s.write(dst.va(), Bytes.repeat((byte) 0xEE, 3 * 4096));
        s.run(d, d.createCommandList().copy(src, 100, dst, 300, 5000).fill(dst, 8000, 12, 0x0A0B0C0D), "copy and fill");
        byte[] expected = Bytes.repeat((byte) 0xEE, 3 * 4096);
        System.arraycopy(data, 100, expected, 300, 5000);
        System.arraycopy(Bytes.pattern(0x0A0B0C0D, 12), 0, expected, 8000, 12);
        s.expect(dst.va(), expected, "a copy of 5000 bytes from +100 to +300, then a fill of 12 at +8000");
    }

    static void texture(UmdSession s) {
        UmdDevice d = s.device();
        Resource a = d.createTexture2D(16, 8, false);
        Resource b = d.createTexture2D(16, 8, false);
        require(a.width() == 16 && a.height() == 8 && a.pitch() >= 64, "createTexture2D(16, 8) made " + a.width() + "x"
                + a.height() + " pitch " + a.pitch());
        s.run(d, d.createCommandList().fillRect(a, 2, 1, 4, 3, 0xFF112233).blit(a, 2, 1, b, 9, 4, 4, 3), "fillRect and blit");
        for (Resource r : List.of(a, b)) {
            int x0 = r == a ? 2 : 9;
            int y0 = r == a ? 1 : 4;
            byte[] pixels = s.read(r.va(), r.pitch() * r.height());
            for (int y = 0; y < r.height(); y++) {
                for (int x = 0; x < r.width(); x++) {
                    boolean in = x >= x0 && x < x0 + 4 && y >= y0 && y < y0 + 3;
                    int at = y * r.pitch() + 4 * x;
                    int bgra = (pixels[at] & 0xFF) | (pixels[at + 1] & 0xFF) << 8 | (pixels[at + 2] & 0xFF) << 16
                            | (pixels[at + 3] & 0xFF) << 24;
                    require(bgra == (in ? 0xFF112233 : 0), (r == a ? "fillRect" : "blit") + ": pixel (" + x + "," + y
                            + ") is 0x" + Integer.toHexString(bgra) + ", expected " + (in ? "0xff112233" : "0"));
                }
            }
        }
    }

    static void tiled(UmdSession s) {
        UmdDevice d = s.device();
        TilePool pool = d.createTilePool(2);
        TiledResource tiled = d.createTiledResource(4);
        require(tiled.tiles() == 4 && tiled.size() == 4L * TILE, "createTiledResource(4) made " + tiled.tiles() + " tiles of "
                + tiled.size() + " bytes");
        d.updateTileMappings(tiled, 0, 1, pool, 1);
        d.updateTileMappings(tiled, 2, 1, pool, 0);
        d.updateTileMappings(tiled, 3, 1, pool, 1); // tiles 0 and 3 share pool tile 1; tile 1 is NULL
        long poolVa = pool.memory().va();
        long[] table = new long[4];
        byte[] raw = s.read(tiled.tableVa(), 32);
        for (int t = 0; t < 4; t++) {
            for (int i = 0; i < 8; i++) {
                table[t] |= (raw[8 * t + i] & 0xFFL) << (8 * i);
            }
        }
        long[] expected = {poolVa + TILE, 0, poolVa, poolVa + TILE};
        for (int t = 0; t < 4; t++) {
            require(table[t] == expected[t], "the tile table at VA 0x" + Long.toHexString(tiled.tableVa()) + " has 0x"
                    + Long.toHexString(table[t]) + " for tile " + t + ", expected 0x" + Long.toHexString(expected[t]));
        }
        Resource out = d.createBuffer(4L * TILE, false);
        s.write(out.va(), Bytes.repeat((byte) 9, 4 * TILE));
        s.run(d, d.createCommandList().fill(tiled, 0, 4L * TILE, 0x44332211).fill(tiled, 3L * TILE + 8, 4, 0x7F7F7F7F),
                "fills through the tiles");
        s.run(d, d.createCommandList().copy(tiled, 0, out, 0, 4L * TILE), "a copy out of the tiled resource");
        byte[] all = s.read(out.va(), 4 * TILE);
        require(all[8] == 0x7F, "a write through tile 3 does not show in tile 0, which maps the same pool tile");
        require(all[TILE] == 0 && all[2 * TILE - 1] == 0, "NULL tile 1 does not read as zero");
        require(all[2 * TILE] == 0x11, "tile 2 does not read the fill");
        s.expect(poolVa, Bytes.pattern(0x44332211, 16), "pool tile 0 (mapped by tile 2)");
        d.copyTileMappings(tiled, 1, tiled, 2, 1);
        s.run(d, d.createCommandList().fill(tiled, TILE, 4, 0x55555555), "a fill through a copied mapping");
        s.expect(poolVa, Bytes.pattern(0x55555555, 4), "tile 1 after copyTileMappings from tile 2 (pool tile 0)");
    }
}
