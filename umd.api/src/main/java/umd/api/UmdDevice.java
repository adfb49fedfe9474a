package umd.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A device: resources, tiled resources, command lists, submission and present. Not thread safe: a
 * device is used by one thread of its process at a time. Errors from the kernel arrive as
 * {@link ThunkException}; bad arguments as {@link IllegalArgumentException}; a failed call changes
 * nothing.
 */
@ProviderType
public interface UmdDevice extends AutoCloseable {
    int pid();

    Resource createBuffer(long size, boolean shared);

    Resource createTexture2D(int width, int height, boolean shared);

    /** A primary for a video present source, sized for its mode. */
    Resource createPrimary(int source);

    /** Opens another process's shared resource by its shared handle. */
    Resource openShared(long sharedHandle, int width, int height);

    /**
     * A buffer over memory the process allocated itself (as D3D12's OpenExistingHeapFromAddress):
     * {@code size} bytes at {@code va}, page aligned. It is not a kernel allocation: submissions do
     * not list it and nothing makes it resident, so the GPU reaches it through the IOMMU, and a page
     * that is not present becomes a page request that the OS resolves (demand zero or page-in) under
     * the OS's {@code sva} GPU fault policy; under {@code windows} it is a page fault, so the heap's
     * pages must be present (the CPU touched them, or the process locked them).
     * Destroying it leaves the memory to the process.
     *
     * @throws IllegalArgumentException if {@code va} is not page aligned or user space, or size is not positive
     */
    Resource openExistingHeapFromAddress(long va, long size);

    TilePool createTilePool(int tiles);

    /** A tiled resource of {@code tiles} tiles, all NULL. */
    TiledResource createTiledResource(int tiles);

    /**
     * UpdateTileMappings: tiles {@code firstTile .. firstTile+count-1} of {@code resource} map to pool
     * tiles {@code firstPoolTile ..}, or become NULL when {@code pool} is null.
     */
    void updateTileMappings(TiledResource resource, int firstTile, int count, TilePool pool, int firstPoolTile);

    /** CopyTileMappings: {@code dst} tiles take the mappings {@code src} tiles have now. */
    void copyTileMappings(TiledResource dst, int dstTile, TiledResource src, int srcTile, int count);

    CommandList createCommandList();

    /** Submits a command list (its resources are made resident first); returns the fence value. */
    long submit(CommandList commands);

    /** Waits for a fence returned by {@link #submit}. */
    WaitResult waitForFence(long fence, long timeoutMillis);

    void present(Resource primary);

    /** A fence of this device's process, at 0; other devices of the process (on any adapter) may use it too. */
    Fence createFence();

    /**
     * ID3D12CommandQueue::Signal: {@code fence} reaches {@code value} once this device's work
     * submitted so far has completed (on the GPU; the CPU does not wait).
     */
    void signal(Fence fence, long value);

    /**
     * ID3D12CommandQueue::Wait: this device's work submitted after this runs only once {@code fence}
     * reached {@code value} (the GPU waits; the CPU does not).
     */
    void waitOnGpu(Fence fence, long value);

    /** Lock for CPU access: in the IoMmu model, the shared VA itself. */
    long lock(Resource resource);

    void unlock(Resource resource);

    /** Releases a resource (evicting it first). */
    void destroy(Resource resource);

    /** Destroys the device and everything it made. */
    @Override
    void close();
}
