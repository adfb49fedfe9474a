package iommu.hw;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The machine's physical memory: {@link #frameCount()} frames of {@link #FRAME_SIZE} bytes, reached
 * by physical address. It is the memory behind the DMA path and the memory that holds page tables.
 *
 * <p>Host memory is committed lazily, in small banks of frames, on the first write; never-written
 * memory reads as zeros and takes no host memory. {@link #touchedFrames()} counts the frames written
 * since they were last zeroed with {@link #zeroFrame(long)}.
 *
 * <p>All methods are thread safe. The 8-byte operations are atomic and must be 8-byte aligned; they
 * are how page-table entries are read and updated. Every method throws
 * {@link IllegalArgumentException} naming the address when a range falls outside memory, and changes
 * nothing in that case.
 */
@ProviderType
public interface SystemMemory {
    /** Bytes in a frame (and in a 4 KiB page). */
    int FRAME_SIZE = 4096;
    int FRAME_SHIFT = 12;

    /** Size of physical memory in bytes. */
    long size();

    /** Number of frames; valid frame numbers are 0 .. frameCount()-1. */
    long frameCount();

    /** Number of frames written since they were last zeroed. */
    long touchedFrames();

    /** Bytes of host memory holding simulated memory now. */
    long hostBytes();

    void read(long physicalAddress, byte[] dst, int offset, int length);

    void write(long physicalAddress, byte[] src, int offset, int length);

    /** Copies {@code length} bytes between two physical ranges (as a memory-to-memory DMA would). */
    void copy(long srcPhysicalAddress, long dstPhysicalAddress, int length);

    /** Atomically reads the 8-byte little-endian value at an 8-byte aligned address. */
    long readLong(long physicalAddress);

    /** Atomically writes the 8-byte little-endian value at an 8-byte aligned address. */
    void writeLong(long physicalAddress, long value);

    /**
     * Writes consecutive 8-byte little-endian values from an 8-byte aligned address within one frame,
     * as software fills a descriptor or a table entry before it rings a doorbell: each value whole, and
     * in order (another thread that sees a value sees every value written before it), but without a
     * full fence after each as {@link #writeLong} has.
     */
    default void writeLongs(long physicalAddress, long[] values) {
        writeLongs(physicalAddress, values, 0, values.length);
    }

    /** {@link #writeLongs(long, long[])} of {@code values[offset..offset+count)}. */
    default void writeLongs(long physicalAddress, long[] values, int offset, int count) {
        java.util.Objects.checkFromIndexSize(offset, count, values.length);
        for (int i = 0; i < count; i++) {
            writeLong(physicalAddress + 8L * i, values[offset + i]);
        }
    }

    /**
     * Reads {@code count} consecutive 8-byte little-endian values from an 8-byte aligned address within
     * one frame into {@code dst} from {@code offset} on, as a unit fetches a descriptor: each value whole,
     * in order (a value written before one read here is read too, see {@link #writeLongs}).
     */
    default void readLongs(long physicalAddress, long[] dst, int offset, int count) {
        java.util.Objects.checkFromIndexSize(offset, count, dst.length);
        for (int i = 0; i < count; i++) {
            dst[offset + i] = readLong(physicalAddress + 8L * i);
        }
    }

    /** Atomically replaces the value at an 8-byte aligned address if it equals {@code expected}. */
    boolean compareAndSetLong(long physicalAddress, long expected, long value);

    /** Atomically replaces the value at an 8-byte aligned address and returns the old one. */
    long getAndSetLong(long physicalAddress, long value);

    /**
     * Fills a frame with zeros; it no longer counts as touched. Host memory that holds no touched
     * frame any more is given back, so {@link #hostBytes()} follows the data that is live.
     */
    void zeroFrame(long frameNumber);
}
