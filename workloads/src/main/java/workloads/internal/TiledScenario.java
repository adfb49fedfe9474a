package workloads.internal;

import java.util.Map;

import umd.api.Resource;
import umd.api.TilePool;
import umd.api.TiledResource;
import umd.api.UmdDevice;
import umd.api.WaitResult;

/**
 * A tiled resource as large as the primary streams its tiles through a pool of two: each tile is
 * mapped to a pool tile, drawn, copied to the primary and unmapped again. Every third tile is never
 * mapped: it reads as zero, so the frame shows black bands there.
 */
final class TiledScenario implements Scenario {
    @Override
    public String name() {
        return "tiled";
    }

    @Override
    public String description() {
        return "a tiled resource streams 64 KiB tiles through a 2-tile pool into the primary; NULL tiles read as zero [out=FILE.png keep=true]";
    }

    @Override
    public java.util.Set<String> options() {
        return java.util.Set.of("out", "keep");
    }

    /** Whether the scenario leaves tile {@code i} NULL. */
    static boolean isNull(int tile) {
        return tile % 3 == 2;
    }

    @Override
    public void run(Machine machine, Map<String, String> options, Report report) throws Exception {
        int pid = machine.os().spawn("tiled");
        UmdDevice device = null;
        try {
            device = machine.umd().createDevice(pid);
            Resource primary = device.createPrimary(0);
            long bytes = primary.size();
            int tiles = (int) ((bytes + TilePool.TILE_SIZE - 1) / TilePool.TILE_SIZE);
            TiledResource tiled = device.createTiledResource(tiles);
            TilePool pool = device.createTilePool(2);
            int streamed = 0;
            for (int i = 0; i < tiles; i++) {
                long offset = (long) i * TilePool.TILE_SIZE;
                long n = Math.min(TilePool.TILE_SIZE, bytes - offset);
                var list = device.createCommandList();
                if (!isNull(i)) {
                    device.updateTileMappings(tiled, i, 1, pool, i % 2);
                    list.fill(tiled, offset, n, 0xFF000000 | Pixels.PALETTE[i % Pixels.PALETTE.length]);
                    streamed++;
                }
                list.copy(tiled, offset, primary, offset, n);
                if (device.waitForFence(device.submit(list), 10_000) != WaitResult.COMPLETED) {
                    throw new IllegalStateException("tile " + i + " did not complete");
                }
                device.updateTileMappings(tiled, i, 1, null, 0); // back to NULL: the pool tile is free again
            }
            device.present(primary);
            var png = Machine.png(options, name());
            var frame = machine.capture(0, png);
            report.sample(machine.os().frames());
            report.add("process " + pid + " " + machine.pasidOnDisplay(pid) + ": " + tiles
                    + " tiles of 64 KiB, " + streamed + " streamed through a 2-tile pool, " + (tiles - streamed) + " left NULL; "
                    + "3 allocations (primary, tile table, tile pool)");
            report.add("wrote " + png + (frame.errors().isEmpty() ? "" : " with scanout errors " + frame.errors()));
        } finally {
            Cpu.exit(machine, pid, device, options);
        }
    }
}
