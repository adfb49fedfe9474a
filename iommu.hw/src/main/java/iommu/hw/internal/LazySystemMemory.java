package iommu.hw.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

import iommu.hw.SystemMemory;

/**
 * System memory as an array of frames, each a {@code byte[4096]} created on first write. A page-table
 * read is an array load and a VarHandle read; a page copy is one {@link System#arraycopy}.
 */
@Component(service = SystemMemory.class, configurationPid = SystemMemoryConfig.PID, immediate = true)
@Designate(ocd = SystemMemoryConfig.class)
public final class LazySystemMemory implements SystemMemory {
    private static final System.Logger LOG = System.getLogger(LazySystemMemory.class.getName());
    private static final VarHandle FRAMES = MethodHandles.arrayElementVarHandle(byte[][].class);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final byte[] ZEROS = new byte[FRAME_SIZE];

    private final byte[][] frames;
    private final long size;
    private final LongAdder touched = new LongAdder();

    /**
     * Sizes memory from configuration. A size outside the metatype's range is reported and replaced by
     * the default, so that a bad configuration never leaves the machine without memory.
     */
    @Activate
    public LazySystemMemory(SystemMemoryConfig config) {
        this(configuredBytes(config.sizeMiB()));
    }

    /** Memory of {@code bytes} bytes, a positive multiple of {@link #FRAME_SIZE}. */
    public LazySystemMemory(long bytes) {
        if (bytes <= 0 || bytes % FRAME_SIZE != 0 || bytes > (SystemMemoryConfig.MAX_MIB << 20)) {
            throw new IllegalArgumentException("system memory size must be a multiple of 4096 bytes in 4096.."
                    + (SystemMemoryConfig.MAX_MIB << 20) + ", not " + bytes);
        }
        this.size = bytes;
        this.frames = new byte[(int) (bytes >>> FRAME_SHIFT)][];
    }

    static final long DEFAULT_MIB = 4096;

    private static boolean valid(long mib) {
        return mib >= 1 && mib <= SystemMemoryConfig.MAX_MIB;
    }

    private static String invalid(long mib) {
        return "configuration " + SystemMemoryConfig.PID + ": sizeMiB must be 1.." + SystemMemoryConfig.MAX_MIB
                + ", not " + mib;
    }

    static long configuredBytes(long mib) {
        if (!valid(mib)) {
            LOG.log(System.Logger.Level.ERROR, invalid(mib) + "; using " + DEFAULT_MIB + " MiB");
            return DEFAULT_MIB << 20;
        }
        return mib << 20;
    }

    /** Memory is fixed while the machine runs: a new size applies at the next activation. */
    @Modified
    void modified(SystemMemoryConfig config) {
        if (!valid(config.sizeMiB())) {
            LOG.log(System.Logger.Level.ERROR, invalid(config.sizeMiB()) + "; memory stays " + (size >>> 20) + " MiB");
        } else if ((config.sizeMiB() << 20) != size) {
            LOG.log(System.Logger.Level.WARNING, "configuration " + SystemMemoryConfig.PID + ": sizeMiB="
                    + config.sizeMiB() + " takes effect at the next start; memory stays " + (size >>> 20) + " MiB");
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public long frameCount() {
        return frames.length;
    }

    @Override
    public long touchedFrames() {
        return touched.sum();
    }

    private void checkRange(long pa, long length, String what) {
        if (length < 0 || pa < 0 || pa > size - length) {
            throw new IllegalArgumentException(String.format(
                    "%s of %d bytes at physical address 0x%x is outside system memory (0x%x bytes)", what, length, pa, size));
        }
    }

    private void checkLong(long pa, String what) {
        checkRange(pa, 8, what);
        if ((pa & 7) != 0) {
            throw new IllegalArgumentException(String.format("%s at physical address 0x%x is not 8-byte aligned", what, pa));
        }
    }

    private byte[] frameForRead(long pa) {
        return (byte[]) FRAMES.getAcquire(frames, (int) (pa >>> FRAME_SHIFT));
    }

    private byte[] frameForWrite(long pa) {
        int index = (int) (pa >>> FRAME_SHIFT);
        byte[] frame = (byte[]) FRAMES.getAcquire(frames, index);
        if (frame == null) {
            byte[] fresh = new byte[FRAME_SIZE];
            frame = (byte[]) FRAMES.compareAndExchange(frames, index, (byte[]) null, fresh);
            if (frame == null) {
                touched.increment();
                frame = fresh;
            }
        }
        return frame;
    }

    @Override
    public void read(long pa, byte[] dst, int offset, int length) {
        checkRange(pa, length, "read");
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        while (length > 0) {
            int inFrame = (int) (pa & (FRAME_SIZE - 1));
            int n = Math.min(length, FRAME_SIZE - inFrame);
            byte[] frame = frameForRead(pa);
            System.arraycopy(frame == null ? ZEROS : frame, inFrame, dst, offset, n);
            pa += n;
            offset += n;
            length -= n;
        }
    }

    @Override
    public void write(long pa, byte[] src, int offset, int length) {
        checkRange(pa, length, "write");
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        while (length > 0) {
            int inFrame = (int) (pa & (FRAME_SIZE - 1));
            int n = Math.min(length, FRAME_SIZE - inFrame);
            System.arraycopy(src, offset, frameForWrite(pa), inFrame, n);
            pa += n;
            offset += n;
            length -= n;
        }
    }

    @Override
    public void copy(long src, long dst, int length) {
        checkRange(src, length, "copy source");
        checkRange(dst, length, "copy destination");
        while (length > 0) {
            int srcIn = (int) (src & (FRAME_SIZE - 1));
            int dstIn = (int) (dst & (FRAME_SIZE - 1));
            int n = Math.min(length, Math.min(FRAME_SIZE - srcIn, FRAME_SIZE - dstIn));
            byte[] from = frameForRead(src);
            byte[] to = frameForWrite(dst);
            if (from == null) {
                Arrays.fill(to, dstIn, dstIn + n, (byte) 0);
            } else {
                System.arraycopy(from, srcIn, to, dstIn, n);
            }
            src += n;
            dst += n;
            length -= n;
        }
    }

    @Override
    public long readLong(long pa) {
        checkLong(pa, "8-byte read");
        byte[] frame = frameForRead(pa);
        return frame == null ? 0 : (long) LONGS.getVolatile(frame, (int) (pa & (FRAME_SIZE - 1)));
    }

    @Override
    public void writeLong(long pa, long value) {
        checkLong(pa, "8-byte write");
        LONGS.setVolatile(frameForWrite(pa), (int) (pa & (FRAME_SIZE - 1)), value);
    }

    @Override
    public boolean compareAndSetLong(long pa, long expected, long value) {
        checkLong(pa, "8-byte compare-and-set");
        return LONGS.compareAndSet(frameForWrite(pa), (int) (pa & (FRAME_SIZE - 1)), expected, value);
    }

    @Override
    public long getAndSetLong(long pa, long value) {
        checkLong(pa, "8-byte exchange");
        return (long) LONGS.getAndSet(frameForWrite(pa), (int) (pa & (FRAME_SIZE - 1)), value);
    }

    @Override
    public void zeroFrame(long frameNumber) {
        if (frameNumber < 0 || frameNumber >= frames.length) {
            throw new IllegalArgumentException("frame " + frameNumber + " is outside system memory (" + frames.length + " frames)");
        }
        if (FRAMES.getAndSet(frames, (int) frameNumber, (byte[]) null) != null) {
            touched.decrement();
        }
    }
}
