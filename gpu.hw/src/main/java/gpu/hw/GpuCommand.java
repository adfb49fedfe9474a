package gpu.hw;

/**
 * A command an engine executes. Addresses are virtual addresses of the submitting context's PASID;
 * lengths and sizes are in bytes.
 */
public sealed interface GpuCommand permits GpuCommand.Copy, GpuCommand.Fill, GpuCommand.FillRect,
        GpuCommand.Blit, GpuCommand.WriteFence, GpuCommand.WaitFence {

    /** Copies {@code length} bytes. */
    record Copy(long srcVa, long dstVa, long length) implements GpuCommand {
    }

    /** Fills {@code length} bytes with a repeated 32-bit little-endian pattern. */
    record Fill(long dstVa, long length, int pattern) implements GpuCommand {
    }

    /** Fills a rectangle of {@code height} rows of {@code widthBytes}, rows {@code pitch} apart. */
    record FillRect(long dstVa, long pitch, int widthBytes, int height, int pattern) implements GpuCommand {
    }

    /** Copies a rectangle of {@code height} rows of {@code widthBytes} between two pitched surfaces. */
    record Blit(long srcVa, long srcPitch, long dstVa, long dstPitch, int widthBytes, int height)
            implements GpuCommand {
    }

    /** Writes a 64-bit little-endian fence value to memory. */
    record WriteFence(long va, long value) implements GpuCommand {
    }

    /**
     * Waits until the 64-bit little-endian value at {@code va} (a monitored fence, read through the
     * IOMMU with the submission's PASID) is at least {@code value}, unsigned: the engine polls it and runs
     * nothing after meanwhile. A wait that never ends makes no progress, so TDR resets the engine.
     */
    record WaitFence(long va, long value) implements GpuCommand {
    }
}
