package umd.reference.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import kmd.api.DmaCommand;
import umd.api.CommandList;
import umd.api.Resource;
import umd.api.TilePool;
import umd.api.TiledResource;

/**
 * A recorded command list. Plain resources are encoded at once; commands on tiled resources are kept
 * as steps that {@link #resolve} translates through the tile table (read from process memory) when
 * the list is submitted.
 */
final class RefCommandList implements CommandList {
    /** Reads the tile table entry of a tile (its backing VA, 0 for NULL). */
    interface TileTable {
        long tileVa(RefTiledResource resource, int tile);
    }

    private final RefDevice device;
    private final List<Consumer<Resolver>> steps = new ArrayList<>();
    final Set<Long> allocations = new LinkedHashSet<>();

    /** Collects the DMA commands of a submission. */
    static final class Resolver {
        final TileTable table;
        final List<DmaCommand> out = new ArrayList<>();

        Resolver(TileTable table) {
            this.table = table;
        }
    }

    RefCommandList(RefDevice device) {
        this.device = device;
    }

    List<DmaCommand> resolve(TileTable table) {
        Resolver r = new Resolver(table);
        for (Consumer<Resolver> step : steps) {
            step.accept(r);
        }
        return r.out;
    }

    private RefResource own(Resource r, String what) {
        if (!(r instanceof RefResource res) || !device.owns(res)) {
            throw new IllegalArgumentException(what + " is not a resource of this device");
        }
        if (res.allocation() != 0) { // an existing heap is not listed: the GPU reaches it through page requests (sva policy only)
            allocations.add(res.allocation());
        }
        return res;
    }

    private RefTiledResource own(TiledResource r, String what) {
        if (!(r instanceof RefTiledResource t) || !device.owns(t)) {
            throw new IllegalArgumentException(what + " is not a tiled resource of this device");
        }
        return t;
    }

    private static void range(String what, long offset, long length, long size) {
        if (offset < 0 || length <= 0 || offset > size - length) {
            throw new IllegalArgumentException(what + ": range " + offset + "+" + length + " is outside its " + size + " bytes");
        }
    }

    private static void rect(String what, RefResource r, int x, int y, int w, int h) {
        if (r.width() == 0) {
            throw new IllegalArgumentException(what + " is a buffer, not a texture or primary");
        }
        if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > r.width() || y + h > r.height()) {
            throw new IllegalArgumentException(what + ": rectangle " + x + "," + y + " " + w + "x" + h + " is outside its "
                    + r.width() + "x" + r.height() + " pixels");
        }
    }

    @Override
    public CommandList copy(Resource src, long srcOffset, Resource dst, long dstOffset, long length) {
        RefResource s = own(src, "copy source");
        RefResource d = own(dst, "copy destination");
        range("copy source", srcOffset, length, s.size());
        range("copy destination", dstOffset, length, d.size());
        steps.add(r -> r.out.add(new DmaCommand.Copy(s.va() + srcOffset, d.va() + dstOffset, length)));
        return this;
    }

    @Override
    public CommandList fill(Resource dst, long offset, long length, int pattern) {
        RefResource d = own(dst, "fill destination");
        range("fill", offset, length, d.size());
        steps.add(r -> r.out.add(new DmaCommand.Fill(d.va() + offset, length, pattern)));
        return this;
    }

    @Override
    public CommandList fillRect(Resource dst, int x, int y, int width, int height, int argb) {
        RefResource d = own(dst, "fillRect destination");
        rect("fillRect destination", d, x, y, width, height);
        steps.add(r -> r.out.add(new DmaCommand.FillRect(d.va() + (long) y * d.pitch() + 4L * x, d.pitch(), 4 * width,
                height, argb)));
        return this;
    }

    @Override
    public CommandList blit(Resource src, int srcX, int srcY, Resource dst, int dstX, int dstY, int width, int height) {
        RefResource s = own(src, "blit source");
        RefResource d = own(dst, "blit destination");
        rect("blit source", s, srcX, srcY, width, height);
        rect("blit destination", d, dstX, dstY, width, height);
        steps.add(r -> r.out.add(new DmaCommand.Blit(s.va() + (long) srcY * s.pitch() + 4L * srcX, s.pitch(),
                d.va() + (long) dstY * d.pitch() + 4L * dstX, d.pitch(), 4 * width, height)));
        return this;
    }

    @Override
    public CommandList writeFence(Resource dst, long offset, long value) {
        RefResource d = own(dst, "fence destination");
        range("fence", offset, 8, d.size());
        steps.add(r -> r.out.add(new DmaCommand.WriteFence(d.va() + offset, value)));
        return this;
    }

    /** Calls {@code piece} for each tile-bounded piece of {@code [offset, offset+length)}: (tile, offset in tile, done, n). */
    private interface Piece {
        void at(int tile, long inTile, long done, long n);
    }

    private static void pieces(long offset, long length, Piece piece) {
        long done = 0;
        while (done < length) {
            long at = offset + done;
            long inTile = at % TilePool.TILE_SIZE;
            long n = Math.min(length - done, TilePool.TILE_SIZE - inTile);
            piece.at((int) (at / TilePool.TILE_SIZE), inTile, done, n);
            done += n;
        }
    }

    private void usePools(RefTiledResource t, long offset, long length) {
        pieces(offset, length, (tile, inTile, done, n) -> {
            if (t.pools[tile] != null) {
                allocations.add(t.pools[tile].memory.allocation());
            }
        });
    }

    @Override
    public CommandList fill(TiledResource dst, long offset, long length, int pattern) {
        RefTiledResource t = own(dst, "fill destination");
        range("tiled fill", offset, length, t.size());
        allocations.add(t.table.allocation());
        usePools(t, offset, length);
        steps.add(r -> pieces(offset, length, (tile, inTile, done, n) -> {
            long va = r.table.tileVa(t, tile);
            if (va != 0) { // a write to a NULL tile is dropped
                r.out.add(new DmaCommand.Fill(va + inTile, n, Integer.rotateRight(pattern, (int) (8 * (done & 3)))));
            }
        }));
        return this;
    }

    @Override
    public CommandList copy(TiledResource src, long srcOffset, Resource dst, long dstOffset, long length) {
        RefTiledResource t = own(src, "copy source");
        RefResource d = own(dst, "copy destination");
        range("tiled copy source", srcOffset, length, t.size());
        range("copy destination", dstOffset, length, d.size());
        allocations.add(t.table.allocation());
        usePools(t, srcOffset, length);
        steps.add(r -> pieces(srcOffset, length, (tile, inTile, done, n) -> {
            long va = r.table.tileVa(t, tile);
            long to = d.va() + dstOffset + done;
            r.out.add(va == 0 ? new DmaCommand.Fill(to, n, 0) // a NULL tile reads as zero
                    : new DmaCommand.Copy(va + inTile, to, n));
        }));
        return this;
    }

    @Override
    public CommandList copy(Resource src, long srcOffset, TiledResource dst, long dstOffset, long length) {
        RefResource s = own(src, "copy source");
        RefTiledResource t = own(dst, "copy destination");
        range("copy source", srcOffset, length, s.size());
        range("tiled copy destination", dstOffset, length, t.size());
        allocations.add(t.table.allocation());
        usePools(t, dstOffset, length);
        steps.add(r -> pieces(dstOffset, length, (tile, inTile, done, n) -> {
            long va = r.table.tileVa(t, tile);
            if (va != 0) {
                r.out.add(new DmaCommand.Copy(s.va() + srcOffset + done, va + inTile, n));
            }
        }));
        return this;
    }

    @Override
    public int size() {
        return steps.size();
    }
}
