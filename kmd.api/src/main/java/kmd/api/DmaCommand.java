package kmd.api;

/**
 * A vendor-neutral command of a DMA buffer; the driver encodes it for its hardware. Addresses are
 * virtual addresses of the submitting device's process (its PASID); sizes are bytes.
 */
public sealed interface DmaCommand permits DmaCommand.Copy, DmaCommand.Fill, DmaCommand.FillRect, DmaCommand.Blit,
        DmaCommand.WriteFence {
    record Copy(long srcVa, long dstVa, long length) implements DmaCommand {
    }

    /** Fills with a repeated 32-bit little-endian pattern. */
    record Fill(long dstVa, long length, int pattern) implements DmaCommand {
    }

    record FillRect(long dstVa, long pitch, int widthBytes, int height, int pattern) implements DmaCommand {
    }

    record Blit(long srcVa, long srcPitch, long dstVa, long dstPitch, int widthBytes, int height) implements DmaCommand {
    }

    /** Writes a 64-bit monitored fence value to memory when the commands before it are done. */
    record WriteFence(long va, long value) implements DmaCommand {
    }
}
