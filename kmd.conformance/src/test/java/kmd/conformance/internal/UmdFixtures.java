package kmd.conformance.internal;

import java.util.List;
import java.util.function.Function;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

import umd.api.CommandList;
import umd.api.KernelThunks;
import umd.reference.internal.ReferenceUmd;
import umd.api.Fence;
import umd.api.Resource;
import umd.api.SurfaceMode;
import umd.api.TilePool;
import umd.api.TiledResource;
import umd.api.UmdAdapter;
import umd.api.UmdDevice;
import umd.api.UserModeDriver;
import umd.api.WaitResult;

/** Deliberately broken UMDs: the reference UMD's devices with one defect each. */
final class UmdFixtures {
    private UmdFixtures() {
    }

    /** {@code good}, with each device it makes wrapped by {@code broken}. */
    static UserModeDriver broken(UserModeDriver good, Function<UmdDevice, UmdDevice> broken) {
        return (pid, adapter) -> {
            UmdAdapter a = good.openAdapter(pid, adapter);
            return new UmdAdapter() {
                @Override
                public int pid() {
                    return a.pid();
                }

                @Override
                public int index() {
                    return a.index();
                }

                @Override
                public List<SurfaceMode> displayModes() {
                    return a.displayModes();
                }

                @Override
                public UmdDevice createDevice() {
                    return broken.apply(a.createDevice());
                }
            };
        };
    }

    /** A device that does what the device it wraps does. */
    static class Delegating implements UmdDevice {
        final UmdDevice d;

        Delegating(UmdDevice d) {
            this.d = d;
        }

        @Override public int pid() { return d.pid(); }
        @Override public Resource createBuffer(long size, boolean shared) { return d.createBuffer(size, shared); }
        @Override public Resource createTexture2D(int width, int height, boolean shared) { return d.createTexture2D(width, height, shared); }
        @Override public Resource createPrimary(int source) { return d.createPrimary(source); }
        @Override public Resource openShared(long sharedHandle, int width, int height) { return d.openShared(sharedHandle, width, height); }
        @Override public Resource openExistingHeapFromAddress(long va, long size) { return d.openExistingHeapFromAddress(va, size); }
        @Override public TilePool createTilePool(int tiles) { return d.createTilePool(tiles); }
        @Override public TiledResource createTiledResource(int tiles) { return d.createTiledResource(tiles); }
        @Override public void updateTileMappings(TiledResource r, int firstTile, int count, TilePool pool, int firstPoolTile) {
            d.updateTileMappings(r, firstTile, count, pool, firstPoolTile);
        }
        @Override public void copyTileMappings(TiledResource dst, int dstTile, TiledResource src, int srcTile, int count) {
            d.copyTileMappings(dst, dstTile, src, srcTile, count);
        }
        @Override public CommandList createCommandList() { return d.createCommandList(); }
        @Override public long submit(CommandList commands) { return d.submit(commands); }
        @Override public WaitResult waitForFence(long fence, long timeoutMillis) { return d.waitForFence(fence, timeoutMillis); }
        @Override public void present(Resource primary) { d.present(primary); }
        @Override public Fence createFence() { return d.createFence(); }
        @Override public void signal(Fence fence, long value) { d.signal(fence, value); }
        @Override public void waitOnGpu(Fence fence, long value) { d.waitOnGpu(fence, value); }
        @Override public long lock(Resource resource) { return d.lock(resource); }
        @Override public void unlock(Resource resource) { d.unlock(resource); }
        @Override public void destroy(Resource resource) { d.destroy(resource); }
        @Override public void close() { d.close(); }
    }

    /**
     * The reference UMD over thunks that never deliver a trim notification (D3DKMTRegisterTrimNotification
     * registers a callback that does nothing): the UMD never trims when the OS asks.
     */
    static UserModeDriver deafToTrims(KernelThunks thunks) {
        return new ReferenceUmd(deaf(thunks));
    }

    /** {@code thunks}, and every per-process view it hands out, registering a deaf callback for every trim notification. */
    private static KernelThunks deaf(KernelThunks thunks) {
        return (KernelThunks) Proxy.newProxyInstance(KernelThunks.class.getClassLoader(), new Class<?>[] {KernelThunks.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("registerTrimNotification")) {
                        java.util.function.Consumer<umd.api.TrimNotification> deaf = n -> { };
                        args = new Object[] {args[0], deaf};
                    }
                    Object r;
                    try {
                        r = method.invoke(thunks, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    return r instanceof KernelThunks view ? deaf(view) : r;
                });
    }

    /** Skips GPU waits: work behind one runs at once. */
    static UmdDevice ignoresGpuWaits(UmdDevice d) {
        return new Delegating(d) {
            @Override
            public void waitOnGpu(Fence fence, long value) {
            }
        };
    }

    /** Maps every tile to the pool's first tile. */
    static UmdDevice mapsEveryTileToPoolTile0(UmdDevice d) {
        return new Delegating(d) {
            @Override
            public void updateTileMappings(TiledResource r, int firstTile, int count, TilePool pool, int firstPoolTile) {
                super.updateTileMappings(r, firstTile, count, pool, 0);
            }
        };
    }

    /** Never presents. */
    static UmdDevice dropsPresents(UmdDevice d) {
        return new Delegating(d) {
            @Override
            public void present(Resource primary) {
            }
        };
    }

    /** Closing leaves the kernel device and its allocations behind. */
    static UmdDevice leaksOnClose(UmdDevice d) {
        return new Delegating(d) {
            @Override
            public void close() {
            }
        };
    }
}
