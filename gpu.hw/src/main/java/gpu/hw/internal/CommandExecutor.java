package gpu.hw.internal;

import java.util.Arrays;
import java.util.function.BooleanSupplier;
import java.util.concurrent.atomic.LongAdder;

import gpu.hw.GpuCommand;
import iommu.hw.DmaResult;
import iommu.hw.Translation;

/**
 * Executes one command as DMA through the IOMMU with the submission's PASID. Large fills go in
 * chunks of at most {@link #CHUNK} bytes, copies in steps of at most {@link #COPY_STEP}; rectangles
 * go row by row. Between chunks, steps and rows the engine's reset is looked at, so that a reset
 * stops even a long command within one chunk's time.
 */
final class CommandExecutor {
    static final int CHUNK = 64 * 1024;
    static final long COPY_STEP = 1 << 20;

    private final EngineDma dma;
    final LongAdder bytesRead = new LongAdder();
    final LongAdder bytesWritten = new LongAdder();

    CommandExecutor(EngineDma dma) {
        this.dma = dma;
    }

    /** How often a WAIT_FENCE reads its fence again. */
    static final long WAIT_POLL_NANOS = 50_000;

    /**
     * Runs {@code command}; returns the fault that stopped it, or {@code null}. {@code reset} is asked at
     * each chunk, step or row (each ask is progress); once it, or {@code aborted} (asked by a wait, which
     * makes no progress), says true, it returns {@code null} there, the rest undone (the caller drops
     * the submission).
     */
    Translation.Fault execute(int pasid, GpuCommand command, BooleanSupplier reset, BooleanSupplier aborted) {
        if (command instanceof GpuCommand.WaitFence w) {
            return waitFence(pasid, w, aborted);
        }
        if (command instanceof GpuCommand.Copy c) {
            for (long done = 0; done < c.length() && !reset.getAsBoolean(); done += COPY_STEP) {
                long n = Math.min(COPY_STEP, c.length() - done);
                DmaResult r = dma.copy(pasid, c.srcVa() + done, c.dstVa() + done, n);
                bytesRead.add(r.bytesTransferred());
                bytesWritten.add(r.bytesTransferred());
                if (r.fault() != null) {
                    return r.fault();
                }
            }
            return null;
        }
        if (command instanceof GpuCommand.Fill f) {
            byte[] chunk = pattern((int) Math.min(f.length(), CHUNK), f.pattern());
            for (long done = 0; done < f.length() && !reset.getAsBoolean(); done += chunk.length) {
                int n = (int) Math.min(chunk.length, f.length() - done);
                Translation.Fault fault = write(pasid, f.dstVa() + done, n == chunk.length ? chunk : Arrays.copyOf(chunk, n));
                if (fault != null) {
                    return fault;
                }
            }
            return null;
        }
        if (command instanceof GpuCommand.FillRect r) {
            byte[] row = pattern(r.widthBytes(), r.pattern());
            for (int y = 0; y < r.height() && !reset.getAsBoolean(); y++) {
                Translation.Fault fault = write(pasid, r.dstVa() + y * r.pitch(), row);
                if (fault != null) {
                    return fault;
                }
            }
            return null;
        }
        if (command instanceof GpuCommand.Blit b) {
            byte[] row = new byte[b.widthBytes()];
            for (int y = 0; y < b.height() && !reset.getAsBoolean(); y++) {
                DmaResult in = dma.read(pasid, b.srcVa() + y * b.srcPitch(), row);
                bytesRead.add(in.bytesTransferred());
                if (in.fault() != null) {
                    return in.fault();
                }
                Translation.Fault fault = write(pasid, b.dstVa() + y * b.dstPitch(), row);
                if (fault != null) {
                    return fault;
                }
            }
            return null;
        }
        GpuCommand.WriteFence w = (GpuCommand.WriteFence) command; // the last kind: WaitFence returned above
        byte[] value = new byte[8];
        for (int i = 0; i < 8; i++) {
            value[i] = (byte) (w.value() >>> (8 * i));
        }
        return write(pasid, w.va(), value);
    }

    /**
     * WAIT_FENCE: reads the fence through the IOMMU until it reaches the value (unsigned), a fault stops
     * it, or {@code aborted} says a reset came; polls every {@link #WAIT_POLL_NANOS}.
     */
    private Translation.Fault waitFence(int pasid, GpuCommand.WaitFence w, BooleanSupplier aborted) {
        byte[] bytes = new byte[8];
        while (true) {
            DmaResult r = dma.read(pasid, w.va(), bytes);
            bytesRead.add(r.bytesTransferred());
            if (r.fault() != null) {
                return r.fault();
            }
            long value = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            if (Long.compareUnsigned(value, w.value()) >= 0 || aborted.getAsBoolean()) {
                return null;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(WAIT_POLL_NANOS);
        }
    }

    /** The command processor's fetch of a command buffer into {@code buffer}; the fault that stopped it, or {@code null}. */
    Translation.Fault fetch(int pasid, long va, byte[] buffer) {
        DmaResult r = dma.read(pasid, va, buffer);
        bytesRead.add(r.bytesTransferred());
        return r.fault();
    }

    private Translation.Fault write(int pasid, long va, byte[] bytes) {
        DmaResult r = dma.write(pasid, va, bytes);
        bytesWritten.add(r.bytesTransferred());
        return r.fault();
    }

    static byte[] pattern(int length, int pattern) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (pattern >>> (8 * (i & 3)));
        }
        return b;
    }
}
