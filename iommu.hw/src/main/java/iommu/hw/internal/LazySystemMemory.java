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
 * System memory as banks of 64 frames (256 KiB), each a {@code byte[]} created on the first write to any
 * of its frames, so that physically contiguous frames are contiguous host memory. A page-table read is
 * an array load and a VarHandle read; a page copy is one {@link System#arraycopy}. A bank is 256 KiB
 * because a copy of whole banks then runs at a plain array copy's speed (DMA over 2 MiB pages in
 * DmaBenchmark; 64 KiB banks ran ~10% below it); its 64 written bits are one word of {@link #written}.
 *
 * <p>Host memory follows live data: {@link #zeroFrame} clears the frame's written bit, and a bank none
 * of whose 64 frames is written any more is given back to the host, once {@link #KEPT_BANKS} banks
 * emptied after it (so that frames freed and soon reused, as the OS's last-in first-out free list
 * reuses them, do not make and drop a bank each time). Giving a bank back parks the
 * {@link #RELEASING} marker in its slot, checks the bank's written bits again, and only then drops it
 * (or puts it back). A writer sets its frame's written bit before it looks the bank up, and waits
 * out the marker, so no write can land in a bank that is being dropped.
 * {@link #touchedFrames()} counts frames written since they were last zeroed: the written bits,
 * counted when asked (a statistic; a counter kept on every first write and zeroing cost two atomic
 * adds a page).
 */
@Component(service = SystemMemory.class, configurationPid = SystemMemoryConfig.PID, immediate = true)
@Designate(ocd = SystemMemoryConfig.class)
public final class LazySystemMemory implements SystemMemory {
    private static final System.Logger LOG = System.getLogger(LazySystemMemory.class.getName());
    private static final VarHandle BANKS = MethodHandles.arrayElementVarHandle(byte[][].class);
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    static final int BANK_SHIFT = 18;
    static final int BANK_SIZE = 1 << BANK_SHIFT;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final byte[] ZEROS = new byte[FRAME_SIZE];
    /** Parked in a bank's slot while the bank is being given back. */
    private static final byte[] RELEASING = new byte[0];
    static final int FRAMES_PER_BANK = BANK_SIZE / FRAME_SIZE;
    /** The written bits of one bank's frames, which share one word of {@link #written}. */
    private static final long BANK_BITS = FRAMES_PER_BANK == 64 ? -1L : (1L << FRAMES_PER_BANK) - 1;

    private final byte[][] banks;
    /** One bit per frame: written since last zeroed. */
    private final long[] written;
    private final long frameCount;
    private final long size;
    private final LongAdder bankCount = new LongAdder();
    /** Emptied banks given back only {@link #keptBanks} emptyings later, oldest first. */
    static final int KEPT_BANKS = 16;
    private final int keptBanks;
    /** Emptied banks, oldest first: {index, the bank's fill count when it emptied}. */
    private final java.util.ArrayDeque<long[]> emptied = new java.util.ArrayDeque<>();
    /** Per bank: how many times it went from no written frame to one (a write into an emptied bank). */
    private final int[] fills;
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);

    /**
     * Sizes memory from configuration. A size outside the metatype's range is reported and replaced by
     * the default, so that a bad configuration never leaves the machine without memory.
     */
    @Activate
    public LazySystemMemory(SystemMemoryConfig config) {
        this(configuredBytes(config.sizeMiB()));
    }

    /** Memory of {@code bytes} bytes, a positive multiple of {@link #FRAME_SIZE}. */
    LazySystemMemory(long bytes) {
        this(bytes, KEPT_BANKS);
    }

    /** Memory that keeps up to {@code keptBanks} emptied banks before it gives them back (0: at once). */
    LazySystemMemory(long bytes, int keptBanks) {
        this.keptBanks = keptBanks;
        if (bytes <= 0 || bytes % FRAME_SIZE != 0 || bytes > (SystemMemoryConfig.MAX_MIB << 20)) {
            throw new IllegalArgumentException("system memory size must be a multiple of 4096 bytes in 4096.."
                    + (SystemMemoryConfig.MAX_MIB << 20) + ", not " + bytes);
        }
        this.size = bytes;
        this.frameCount = bytes >>> FRAME_SHIFT;
        this.banks = new byte[(int) ((bytes + BANK_SIZE - 1) >>> BANK_SHIFT)][];
        this.fills = new int[banks.length];
        this.written = new long[(int) ((frameCount + 63) >>> 6)];
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
        return frameCount;
    }

    @Override
    public long touchedFrames() {
        long n = 0;
        for (int i = 0; i < written.length; i++) {
            n += Long.bitCount((long) WORDS.getOpaque(written, i));
        }
        return n;
    }

    @Override
    public long hostBytes() {
        return bankCount.sum() * BANK_SIZE;
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

    /** The bank holding {@code pa}, or {@code null} if nothing in it was ever written. */
    private byte[] bankForRead(long pa) {
        int index = (int) (pa >>> BANK_SHIFT);
        byte[] bank = (byte[]) BANKS.getAcquire(banks, index);
        while (bank == RELEASING) {
            Thread.onSpinWait();
            bank = (byte[]) BANKS.getAcquire(banks, index);
        }
        return bank;
    }

    /** The bank holding {@code pa}, made if needed, with the frame of {@code pa} marked written first. */
    private byte[] bankForWrite(long pa) {
        return bankForWrite(pa, 1);
    }

    /**
     * The bank holding {@code pa}, made if needed, with the frames of {@code [pa, pa + length)} (all in
     * that bank) marked written first.
     */
    private byte[] bankForWrite(long pa, int length) {
        for (long frame = pa >>> FRAME_SHIFT; frame <= (pa + length - 1) >>> FRAME_SHIFT; frame++) {
            markWritten(frame, pa);
        }
        int index = (int) (pa >>> BANK_SHIFT);
        while (true) {
            byte[] bank = (byte[]) BANKS.getVolatile(banks, index);
            if (bank == RELEASING) {
                Thread.onSpinWait();
            } else if (bank != null) {
                return bank;
            } else if (BANKS.compareAndSet(banks, index, (byte[]) null, new byte[BANK_SIZE])) {
                bankCount.increment();
            }
        }
    }

    private void markWritten(long frame, long pa) {
        int word = (int) (frame >>> 6);
        long bit = 1L << (frame & 63);
        long bits = (long) WORDS.getVolatile(written, word);
        while ((bits & bit) == 0) {
            long seen = (long) WORDS.compareAndExchange(written, word, bits, bits | bit);
            if (seen == bits) {
                if ((bits & bankMask(frame)) == 0) { // the bank held nothing: an emptied bank is filled again
                    INTS.getAndAdd(fills, (int) (pa >>> BANK_SHIFT), 1);
                }
                break;
            }
            bits = seen;
        }
    }

    /** The bits of {@code frame}'s bank in its word of {@link #written}. */
    private static long bankMask(long frame) {
        return BANK_BITS << ((frame & ~(FRAMES_PER_BANK - 1)) & 63);
    }

    /** The written bits of the frames of {@code bank}. */
    private long bankBits(int bank) {
        long firstFrame = (long) bank * FRAMES_PER_BANK;
        long word = (long) WORDS.getVolatile(written, (int) (firstFrame >>> 6));
        return (word >>> (firstFrame & 63)) & BANK_BITS;
    }

    /**
     * Bank {@code index} holds no data now: it goes back to the host after {@link #keptBanks} more
     * banks emptied, unless one of its frames was written again meanwhile.
     */
    private void bankEmptied(int index) {
        long[] oldest = null;
        synchronized (emptied) {
            emptied.addLast(new long[] {index, (int) INTS.getVolatile(fills, index)});
            if (emptied.size() > keptBanks) {
                oldest = emptied.removeFirst();
            }
        }
        if (oldest != null && (int) INTS.getVolatile(fills, (int) oldest[0]) == (int) oldest[1]) {
            releaseIfUnwritten((int) oldest[0]);
        }
    }

    /** Gives bank {@code index} back to the host if none of its frames is written. */
    private void releaseIfUnwritten(int index) {
        byte[] bank = (byte[]) BANKS.getVolatile(banks, index);
        if (bank == null || bank == RELEASING || bankBits(index) != 0
                || !BANKS.compareAndSet(banks, index, bank, RELEASING)) {
            return;
        }
        if (bankBits(index) == 0) {
            BANKS.setVolatile(banks, index, (byte[]) null);
            bankCount.decrement();
        } else {
            BANKS.setVolatile(banks, index, bank); // a writer came: it waits for the bank to come back
        }
    }

    private static int offset(long pa) {
        return (int) (pa & (BANK_SIZE - 1));
    }

    @Override
    public void read(long pa, byte[] dst, int offset, int length) {
        checkRange(pa, length, "read");
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        while (length > 0) {
            int n = Math.min(length, FRAME_SIZE - (int) (pa & (FRAME_SIZE - 1)));
            byte[] bank = bankForRead(pa);
            if (bank == null) {
                System.arraycopy(ZEROS, 0, dst, offset, n);
            } else {
                System.arraycopy(bank, offset(pa), dst, offset, n);
            }
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
            int n = Math.min(length, FRAME_SIZE - (int) (pa & (FRAME_SIZE - 1)));
            System.arraycopy(src, offset, bankForWrite(pa), offset(pa), n);
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
            // up to the end of a bank on both sides: frames contiguous in a bank are contiguous host memory
            int n = Math.min(length, Math.min(BANK_SIZE - (int) (src & (BANK_SIZE - 1)),
                    BANK_SIZE - (int) (dst & (BANK_SIZE - 1))));
            byte[] from = bankForRead(src);
            byte[] to = bankForWrite(dst, n);
            if (from == null) {
                Arrays.fill(to, offset(dst), offset(dst) + n, (byte) 0);
            } else {
                System.arraycopy(from, offset(src), to, offset(dst), n);
            }
            src += n;
            dst += n;
            length -= n;
        }
    }

    @Override
    public long readLong(long pa) {
        checkLong(pa, "8-byte read");
        byte[] bank = bankForRead(pa);
        return bank == null ? 0 : (long) LONGS.getVolatile(bank, offset(pa));
    }

    @Override
    public void writeLong(long pa, long value) {
        checkLong(pa, "8-byte write");
        LONGS.setVolatile(bankForWrite(pa), offset(pa), value);
    }

    @Override
    public void writeLongs(long pa, long[] values) {
        writeLongs(pa, values, 0, values.length);
    }

    /**
     * One frame's words with one bank lookup, each a release store: whole, and seen in the order written
     * (a reader that sees a later word, or a later entry, sees the earlier ones), without the full fence
     * of a volatile store after each.
     */
    @Override
    public void writeLongs(long pa, long[] values, int offset, int count) {
        checkWords(pa, values, offset, count, "8-byte writes");
        if (count == 0) {
            return;
        }
        byte[] bank = bankForWrite(pa, count * 8);
        int at = offset(pa);
        for (int i = 0; i < count; i++) {
            LONGS.setRelease(bank, at + 8 * i, values[offset + i]);
        }
    }

    /** One frame's words with one bank lookup, each an acquire load (the counterpart of {@link #writeLongs}). */
    @Override
    public void readLongs(long pa, long[] dst, int offset, int count) {
        checkWords(pa, dst, offset, count, "8-byte reads");
        if (count == 0) {
            return;
        }
        byte[] bank = bankForRead(pa);
        if (bank == null) {
            Arrays.fill(dst, offset, offset + count, 0L);
            return;
        }
        int at = offset(pa);
        for (int i = 0; i < count; i++) {
            dst[offset + i] = (long) LONGS.getAcquire(bank, at + 8 * i);
        }
    }

    /**
     * What {@link #writeLongs} and {@link #readLongs} take ({@code what}, for the message): {@code count}
     * words of {@code array} from {@code offset}, at an aligned address, within one frame.
     */
    private void checkWords(long pa, long[] array, int offset, int count, String what) {
        java.util.Objects.checkFromIndexSize(offset, count, array.length);
        int length = count * 8;
        checkLong(pa, what);
        checkRange(pa, length, what);
        if (length != 0 && (pa >>> FRAME_SHIFT) != ((pa + length - 1) >>> FRAME_SHIFT)) {
            throw new IllegalArgumentException(String.format("%d %s at physical address 0x%x cross a frame", count, what, pa));
        }
    }

    @Override
    public boolean compareAndSetLong(long pa, long expected, long value) {
        checkLong(pa, "8-byte compare-and-set");
        return LONGS.compareAndSet(bankForWrite(pa), offset(pa), expected, value);
    }

    @Override
    public long getAndSetLong(long pa, long value) {
        checkLong(pa, "8-byte exchange");
        return (long) LONGS.getAndSet(bankForWrite(pa), offset(pa), value);
    }

    @Override
    public void zeroFrame(long frameNumber) {
        if (frameNumber < 0 || frameNumber >= frameCount) {
            throw new IllegalArgumentException("frame " + frameNumber + " is outside system memory (" + frameCount + " frames)");
        }
        int word = (int) (frameNumber >>> 6);
        long bit = 1L << (frameNumber & 63);
        long bits = (long) WORDS.getOpaque(written, word);
        while ((bits & bit) != 0) {
            long seen = (long) WORDS.compareAndExchange(written, word, bits, bits & ~bit);
            if (seen == bits) {
                long pa = frameNumber << FRAME_SHIFT;
                byte[] bank = bankForRead(pa);
                if (bank != null) {
                    Arrays.fill(bank, offset(pa), offset(pa) + FRAME_SIZE, (byte) 0);
                }
                if (bankBits((int) (pa >>> BANK_SHIFT)) == 0) {
                    bankEmptied((int) (pa >>> BANK_SHIFT));
                }
                return;
            }
            bits = seen;
        }
    }
}
