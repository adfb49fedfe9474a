package umd.reference.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import umd.api.AllocationCreateFlag;
import umd.api.CommandList;
import umd.api.Fence;
import umd.api.KernelThunks;
import umd.api.KmtAllocation;
import umd.api.ProcessMemory;
import umd.api.Resource;
import umd.api.SurfaceMode;
import umd.api.ThunkException;
import umd.api.TilePool;
import umd.api.TiledResource;
import umd.api.UmdDevice;
import umd.api.WaitResult;

/**
 * A device of the reference UMD. It keeps its residency list right: what a submission uses is made
 * resident first; under budget pressure it evicts what the submission does not use and tries again;
 * a destroyed resource is evicted before it is freed.
 */
final class RefDevice implements UmdDevice {
    private final KernelThunks kmt;
    private final ProcessMemory memory;
    private final int adapter;
    private final long device;
    /** The device's direct queue: a render context on GPU 0 (D3D12's default node mask); its fences are this device's. */
    private final long queue;
    private final Set<RefResource> resources = new LinkedHashSet<>();
    private final Set<RefTiledResource> tiled = new LinkedHashSet<>();
    /** The fences this device created: they go with it. */
    private final Set<RefFence> fences = new LinkedHashSet<>();
    /**
     * What this device made resident, least recently used first; guarded by its own monitor, as the
     * trim notification arrives on the kernel's thread. The allocations' sizes, and the device fence of
     * each one's last submission (what must complete before it may be evicted).
     */
    private final Set<Long> resident = new LinkedHashSet<>();
    private final java.util.Map<Long, Long> sizes = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<Long, Long> lastUse = new java.util.HashMap<>();
    /** What the submission being made uses: a trim notification meanwhile leaves it alone. */
    private Set<Long> inSubmit = Set.of();
    /** D3DKMTCreatePagingQueue: MakeResident goes through it. */
    private final umd.api.PagingQueue pagingQueue;
    /** Where the device writes its command buffers; made on its first submission. */
    private RefCommandRing ring;
    private final java.util.function.Consumer<RefDevice> onClose;
    private long lastFence;
    /** How long a submission over budget waits for the work that last used an allocation before it evicts it. */
    static final long EVICT_WAIT_MILLIS = 10_000;
    private volatile boolean closed;
    private String removed;

    RefDevice(KernelThunks kmt, int pid, int adapter, java.util.function.Consumer<RefDevice> onClose) {
        this.kmt = kmt.forProcess(pid); // the process's own thunks: no other process's handle gets through
        this.memory = kmt.processMemory(pid);
        this.adapter = adapter;
        this.device = kmt.createDevice(pid, adapter);
        long context;
        try {
            context = this.kmt.createContext(device, EngineNode.RENDER.nodeOrdinal(), 1); // its adapter's first GPU
        } catch (RuntimeException e) {
            this.kmt.destroyDevice(device);
            throw e;
        }
        this.queue = context;
        this.pagingQueue = this.kmt.createPagingQueue(device); // both go with the device
        this.kmt.registerTrimNotification(device, this::trimResidencySet);
        this.onClose = onClose;
    }

    /** Device removed: the kernel device goes (with its allocations); every later call fails with {@code why}. */
    synchronized void remove(String why) {
        if (!closed) {
            closed = true;
            removed = why;
            destroyFences();
            try {
                kmt.destroyDevice(device);
            } catch (ThunkException alreadyGone) {
                // the process or the kernel device is already gone
            }
        }
    }

    @Override
    public int pid() {
        return memory.pid();
    }

    private void open() {
        if (removed != null) {
            throw new IllegalStateException("device removed: " + removed + "; open a new device");
        }
        if (closed) {
            throw new IllegalStateException("device is closed");
        }
    }

    boolean owns(RefResource r) {
        return resources.contains(r);
    }

    boolean owns(RefTiledResource t) {
        return tiled.contains(t);
    }

    private RefResource allocate(long size, Set<AllocationCreateFlag> flags, int width, int height, int pitch, int source) {
        open();
        KmtAllocation a = kmt.allocate(device, size, flags);
        sizes.put(a.handle(), a.size());
        RefResource r = new RefResource(a.handle(), a.va(), a.size(), width, height, pitch, a.sharedHandle(), source);
        resources.add(r);
        return r;
    }

    private static Set<AllocationCreateFlag> flags(boolean shared) {
        return shared ? EnumSet.of(AllocationCreateFlag.CREATE_SHARED) : EnumSet.noneOf(AllocationCreateFlag.class);
    }

    @Override
    public Resource createBuffer(long size, boolean shared) {
        if (size <= 0) {
            throw new IllegalArgumentException("buffer size must be > 0, not " + size);
        }
        return allocate(size, flags(shared), 0, 0, 0, -1);
    }

    @Override
    public Resource openExistingHeapFromAddress(long va, long size) {
        open();
        if ((va & 0xFFF) != 0 || va < 0x10000 || va >= 0x7FFF_FFFF_0000L) {
            throw new IllegalArgumentException(String.format("heap address 0x%x must be a page-aligned user address", va));
        }
        if (size <= 0 || size > 0x7FFF_FFFF_0000L - va) {
            throw new IllegalArgumentException("heap size must be > 0 and end in user space, not " + size);
        }
        RefResource r = new RefResource(0, va, size, 0, 0, 0, 0, -1);
        resources.add(r);
        return r;
    }

    @Override
    public Resource createTexture2D(int width, int height, boolean shared) {
        if (width <= 0 || height <= 0 || width > 16384 || height > 16384) {
            throw new IllegalArgumentException("texture size must be 1..16384 a side, not " + width + "x" + height);
        }
        return allocate((long) width * height * 4, flags(shared), width, height, width * 4, -1);
    }

    @Override
    public Resource createPrimary(int source) {
        List<SurfaceMode> modes = kmt.displayModes(adapter);
        if (source < 0 || source >= modes.size()) {
            throw new IllegalArgumentException("video present source " + source + " does not exist; there are " + modes.size());
        }
        SurfaceMode m = modes.get(source);
        return allocate(m.bytes(), EnumSet.of(AllocationCreateFlag.PRIMARY), m.width(), m.height(), m.pitch(), source);
    }

    @Override
    public Resource openShared(long sharedHandle, int width, int height) {
        open();
        KmtAllocation a = kmt.openResource(device, sharedHandle);
        if (width < 0 || height < 0 || (long) width * height * 4 > a.size()) {
            kmt.deallocate(device, a.handle());
            throw new IllegalArgumentException(width + "x" + height + " pixels do not fit the shared resource's "
                    + a.size() + " bytes");
        }
        sizes.put(a.handle(), a.size());
        RefResource r = new RefResource(a.handle(), a.va(), a.size(), width, height, width * 4, sharedHandle, -1);
        resources.add(r);
        return r;
    }

    @Override
    public TilePool createTilePool(int tiles) {
        if (tiles <= 0 || tiles > 65536) {
            throw new IllegalArgumentException("tile pool size must be 1..65536 tiles, not " + tiles);
        }
        return new RefTilePool(tiles, allocate((long) tiles * TilePool.TILE_SIZE, flags(false), 0, 0, 0, -1));
    }

    @Override
    public TiledResource createTiledResource(int tiles) {
        if (tiles <= 0 || tiles > 1 << 20) {
            throw new IllegalArgumentException("tiled resource size must be 1..1048576 tiles, not " + tiles);
        }
        RefTiledResource t = new RefTiledResource(allocate(8L * tiles, flags(false), 0, 0, 0, -1), tiles);
        tiled.add(t);
        return t;
    }

    private RefTiledResource ownTiled(TiledResource r) {
        if (!(r instanceof RefTiledResource t) || !tiled.contains(t)) {
            throw new IllegalArgumentException("not a tiled resource of this device");
        }
        return t;
    }

    private static void tileRange(String what, int first, int count, int tiles) {
        if (first < 0 || count <= 0 || first > tiles - count) {
            throw new IllegalArgumentException(what + ": tiles " + first + "+" + count + " are outside its " + tiles + " tiles");
        }
    }

    private void writeTable(RefTiledResource t, int firstTile, long[] vas) {
        ByteBuffer b = ByteBuffer.allocate(8 * vas.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long va : vas) {
            b.putLong(va);
        }
        memory.write(t.tableVa() + 8L * firstTile, b.array());
    }

    /** The tile table entry of {@code tile}, read from the process's memory: what the GPU access will use. */
    long tileVa(RefTiledResource t, int tile) {
        return ByteBuffer.wrap(memory.read(t.tableVa() + 8L * tile, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Override
    public void updateTileMappings(TiledResource resource, int firstTile, int count, TilePool pool, int firstPoolTile) {
        open();
        RefTiledResource t = ownTiled(resource);
        tileRange("UpdateTileMappings", firstTile, count, t.tiles());
        RefTilePool p = null;
        if (pool != null) {
            if (!(pool instanceof RefTilePool rp) || !owns(rp.memory)) {
                throw new IllegalArgumentException("UpdateTileMappings: the tile pool is not one of this device");
            }
            p = rp;
            tileRange("UpdateTileMappings pool", firstPoolTile, count, p.tiles());
        }
        long[] vas = new long[count];
        for (int i = 0; i < count; i++) {
            vas[i] = p == null ? 0 : p.tileVa(firstPoolTile + i);
        }
        writeTable(t, firstTile, vas);
        for (int i = 0; i < count; i++) {
            t.pools[firstTile + i] = p;
        }
    }

    @Override
    public void copyTileMappings(TiledResource dst, int dstTile, TiledResource src, int srcTile, int count) {
        open();
        RefTiledResource d = ownTiled(dst);
        RefTiledResource s = ownTiled(src);
        tileRange("CopyTileMappings destination", dstTile, count, d.tiles());
        tileRange("CopyTileMappings source", srcTile, count, s.tiles());
        long[] vas = new long[count];
        RefTilePool[] pools = new RefTilePool[count];
        for (int i = 0; i < count; i++) {
            vas[i] = tileVa(s, srcTile + i);
            pools[i] = s.pools[srcTile + i];
        }
        writeTable(d, dstTile, vas);
        System.arraycopy(pools, 0, d.pools, dstTile, count);
    }

    @Override
    public CommandList createCommandList() {
        open();
        return new RefCommandList(this);
    }

    @Override
    public long submit(CommandList commands) {
        open();
        if (!(commands instanceof RefCommandList list) || list.size() == 0) {
            throw new IllegalArgumentException("submit needs a non-empty command list of this device");
        }
        List<DmaCommand> dma = list.resolve(this::tileVa);
        if (dma.isEmpty()) {
            makeResident(list.allocations);
            used(list.allocations, lastFence);
            return lastFence; // everything fell on NULL tiles: nothing for the GPU to do
        }
        if (ring == null) {
            ring = new RefCommandRing(kmt, memory, device, queue);
            sizes.put(ring.allocation(), (long) RefCommandRing.BYTES);
        }
        Set<Long> used = new LinkedHashSet<>(list.allocations);
        used.add(ring.allocation()); // the GPU fetches the command buffers from it
        makeResident(used);
        try {
            lastFence = ring.submit(dma); // packets in the process's memory, submitted by address and length
        } finally {
            used(used, lastFence);
        }
        return lastFence;
    }

    /**
     * MakeResident on use, through the device's paging queue (WDDM 2). Over the budget the kernel
     * refuses with NumBytesToTrim: the device evicts its least recently used allocations that this
     * submission does not use, one at a time, each only once the work that last used it finished
     * (D3DKMTEvict: the OS may page an evicted allocation out at once, and under the Windows fault
     * policy the GPU's access would then fault), and tries again; with nothing left to evict it asks
     * with CantTrimFurther. The GPU then waits for the paging fence (reached already: pinning is
     * synchronous in the IoMmu model).
     */
    private void makeResident(Set<Long> used) {
        synchronized (resident) {
            inSubmit = Set.copyOf(used);
        }
        Set<umd.api.MakeResidentFlag> flags = java.util.EnumSet.noneOf(umd.api.MakeResidentFlag.class);
        while (true) {
            List<Long> missing = new ArrayList<>();
            Long victim = null;
            synchronized (resident) {
                for (Long a : used) {
                    if (!resident.contains(a)) {
                        missing.add(a);
                    }
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            umd.api.MakeResidentResult r = kmt.makeResident(pagingQueue.handle(), missing, flags);
            if (r.resident()) {
                synchronized (resident) {
                    resident.addAll(missing);
                }
                kmt.waitFromGpu(queue, pagingQueue.syncObject(), r.pagingFenceValue());
                return;
            }
            synchronized (resident) {
                for (Long a : resident) { // least recently used first
                    if (!used.contains(a)) {
                        victim = a;
                        break;
                    }
                }
            }
            if (victim == null) {
                flags = java.util.EnumSet.of(umd.api.MakeResidentFlag.CANT_TRIM_FURTHER); // nothing left to trim
                continue;
            }
            long since = lastUseOf(victim);
            WaitResult done = since == 0 ? WaitResult.COMPLETED : kmt.waitForFence(queue, since, EVICT_WAIT_MILLIS);
            if (done != WaitResult.COMPLETED) {
                throw new ThunkException("NO_VIDEO_MEMORY", "over its budget by " + r.numBytesToTrim() + " bytes, and the"
                        + " work still using allocation 0x" + Long.toHexString(victim) + " did not finish within "
                        + EVICT_WAIT_MILLIS + " ms (" + done + "): nothing was evicted", null);
            }
            evictIfResident(victim);
        }
    }

    /** {@code used} served the submission with device fence {@code fence}: they go to the back of the eviction order. */
    private void used(Set<Long> used, long fence) {
        synchronized (resident) {
            for (Long a : used) {
                if (resident.remove(a)) {
                    resident.add(a);
                }
                lastUse.put(a, fence);
            }
            inSubmit = Set.of();
        }
    }

    private long lastUseOf(long allocation) {
        synchronized (resident) {
            return lastUse.getOrDefault(allocation, 0L);
        }
    }

    /** Evicts {@code allocation} if this device still holds it resident (taken from the set first, the kernel called after). */
    private void evictIfResident(long allocation) {
        boolean held;
        synchronized (resident) {
            held = resident.remove(allocation);
        }
        if (held) {
            kmt.evict(device, List.of(allocation));
        }
    }

    /**
     * The UMD's TrimResidencySet (D3DKMT_TRIMNOTIFICATION with TrimToBudget): evicts, least recently
     * used first, what no queued work and no submission being made uses, until NumBytesToTrim is
     * covered or nothing else may go. Runs on the kernel's thread; waits for nothing.
     */
    private void trimResidencySet(umd.api.TrimNotification n) {
        List<Long> victims = new ArrayList<>();
        synchronized (resident) {
            if (closed) {
                return;
            }
            long left = n.numBytesToTrim();
            for (Long a : resident) {
                if (left <= 0) {
                    break;
                }
                long since = lastUse.getOrDefault(a, 0L);
                if (inSubmit.contains(a) || (since != 0 && kmt.waitForFence(queue, since, 0) != WaitResult.COMPLETED)) {
                    continue; // still in use: not the device's to give yet
                }
                victims.add(a);
                left -= sizes.getOrDefault(a, 0L);
            }
            resident.removeAll(victims);
        }
        for (Long a : victims) {
            kmt.evict(device, List.of(a));
        }
    }

    @Override
    public WaitResult waitForFence(long fence, long timeoutMillis) {
        open();
        return fence == 0 ? WaitResult.COMPLETED : kmt.waitForFence(queue, fence, timeoutMillis);
    }

    @Override
    public Fence createFence() {
        open();
        RefFence f = new RefFence(kmt, memory, kmt.createSynchronizationObject(device));
        fences.add(f);
        return f;
    }

    @Override
    public void signal(Fence fence, long value) {
        open();
        kmt.signalFromGpu(queue, fence.handle(), value);
    }

    @Override
    public void waitOnGpu(Fence fence, long value) {
        open();
        kmt.waitFromGpu(queue, fence.handle(), value);
    }

    /** Destroys the fences this device created (the device goes). */
    private void destroyFences() {
        for (RefFence f : fences) {
            try {
                kmt.destroySynchronizationObject(f.handle());
            } catch (ThunkException alreadyGone) {
                // the process exited first: its fences went with it
            }
        }
        fences.clear();
    }

    @Override
    public void present(Resource primary) {
        open();
        if (!(primary instanceof RefResource r) || !owns(r) || r.source() < 0) {
            throw new IllegalArgumentException("present needs a primary of this device");
        }
        kmt.present(device, r.allocation(), r.source());
    }

    private RefResource own(Resource resource) {
        if (!(resource instanceof RefResource r) || !owns(r)) {
            throw new IllegalArgumentException("not a resource of this device");
        }
        return r;
    }

    @Override
    public long lock(Resource resource) {
        open();
        return own(resource).va();
    }

    @Override
    public void unlock(Resource resource) {
        own(resource);
    }

    @Override
    public void destroy(Resource resource) {
        open();
        RefResource r = own(resource);
        if (r.allocation() == 0) {
            resources.remove(r); // an existing heap: the memory stays the process's
            return;
        }
        evictIfResident(r.allocation());
        kmt.deallocate(device, r.allocation());
        sizes.remove(r.allocation());
        resources.remove(r);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            onClose.accept(this);
            destroyFences();
            kmt.destroyDevice(device);
        }
    }
}
