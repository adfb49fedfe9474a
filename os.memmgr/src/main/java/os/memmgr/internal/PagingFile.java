package os.memmgr.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.LongAdder;

/**
 * The pagefile: a real file of page-sized slots, written and read at page-aligned offsets, with a
 * free-slot map. A pagefile of 0 slots is "no pagefile": every slot allocation fails.
 *
 * <p>Ownership: an instance owns its pagefile through an exclusive OS file lock, held from open to
 * close ({@link PagefileClaim}). A file another live instance holds is never touched: the next name
 * ({@code pagefile-2.sys}, ...) is tried instead. A file nobody holds was left by a crash and is
 * never trusted: opening truncates it. Closing deletes the file while still holding its lock, so
 * that only the owner ever removes it (and so does JVM exit, for a framework that was never stopped).
 *
 * <p>Slot allocation is thread safe; a slot's reads and writes are made by the one address space
 * that owns the slot, under its lock.
 */
final class PagingFile implements AutoCloseable {
    static final int PAGE = 4096;

    /** The file operations, so that tests can make them fail. */
    interface Io extends AutoCloseable {
        void write(long position, ByteBuffer src) throws IOException;

        void read(long position, ByteBuffer dst) throws IOException;

        @Override
        void close() throws IOException;
    }

    private final Path path;
    private final long slots;
    private final Io io;
    private final long[] used;
    private long usedCount;
    private long hint;
    private final LongAdder pagesOut = new LongAdder();
    private final LongAdder pagesIn = new LongAdder();
    private final LongAdder pagesDropped = new LongAdder();
    private final LongAdder ioErrors = new LongAdder();
    private Thread exitHook;
    private boolean closed;

    PagingFile(Path path, long slots, Io io) {
        if (slots < 0 || slots > (1L << 34)) {
            throw new IllegalArgumentException("pagefile slots must be 0.." + (1L << 34) + ", not " + slots);
        }
        this.path = path;
        this.slots = slots;
        this.io = io;
        this.used = new long[(int) ((slots + 63) >>> 6)];
    }

    /** No pagefile. */
    static PagingFile none() {
        return new PagingFile(null, 0, null);
    }

    /**
     * Opens a pagefile of {@code sizeMiB} MiB at {@code path}, or, when another live instance holds
     * that file, at the first free numbered name beside it (saying so in one line); a stale file
     * nobody holds is truncated and reused.
     *
     * @throws UncheckedIOException naming the path when no file can be opened and locked
     */
    static PagingFile open(Path path, long sizeMiB) {
        if (sizeMiB == 0) {
            return none();
        }
        PagefileClaim claim = PagefileClaim.claim(path);
        if (!claim.path().equals(path)) {
            System.getLogger(PagingFile.class.getName()).log(System.Logger.Level.WARNING, "pagefile " + path
                    + " is in use by another instance; this instance pages to " + claim.path());
        }
        PagingFile file = new PagingFile(claim.path(), sizeMiB << 8, channelIo(claim));
        file.exitHook = new Thread(file::close, "pagefile-delete");
        Runtime.getRuntime().addShutdownHook(file.exitHook); // a JVM that exits without stopping the framework
        return file;
    }

    /**
     * As {@link #open(Path, long)}, but I/O operation {@code n} (1, 2, ... counting writes and reads)
     * fails with an IOException when {@code fails.test(n)}: for fail-the-Nth-call tests.
     */
    static PagingFile open(Path path, long sizeMiB, java.util.function.LongPredicate fails) {
        PagingFile real = open(path, sizeMiB);
        if (real.io == null) {
            return real;
        }
        java.util.concurrent.atomic.AtomicLong count = new java.util.concurrent.atomic.AtomicLong();
        Io io = new Io() {
            private void maybeFail(String op) throws IOException {
                long n = count.incrementAndGet();
                if (fails.test(n)) {
                    throw new IOException("injected failure of pagefile " + op + " #" + n);
                }
            }

            @Override
            public void write(long position, ByteBuffer src) throws IOException {
                maybeFail("write");
                real.io.write(position, src);
            }

            @Override
            public void read(long position, ByteBuffer dst) throws IOException {
                maybeFail("read");
                real.io.read(position, dst);
            }

            @Override
            public void close() throws IOException {
                real.close();
            }
        };
        return new PagingFile(path, real.slots, io);
    }

    private static Io channelIo(PagefileClaim claim) {
        FileChannel channel = claim.channel();
        Path path = claim.path();
        return new Io() {
            @Override
            public void write(long position, ByteBuffer src) throws IOException {
                while (src.hasRemaining()) {
                    position += channel.write(src, position);
                }
            }

            @Override
            public void read(long position, ByteBuffer dst) throws IOException {
                while (dst.hasRemaining()) {
                    int n = channel.read(dst, position);
                    if (n < 0) {
                        throw new IOException("pagefile " + path + " ends before offset " + position);
                    }
                    position += n;
                }
            }

            @Override
            public void close() throws IOException {
                claim.release();
            }
        };
    }

    Path path() {
        return path;
    }

    long slots() {
        return slots;
    }

    synchronized long usedSlots() {
        return usedCount;
    }

    long pagesOut() {
        return pagesOut.sum();
    }

    long pagesIn() {
        return pagesIn.sum();
    }

    /** Clean pages trimmed without a write (their copy in a slot was current). */
    long pagesDropped() {
        return pagesDropped.sum();
    }

    void dropped() {
        pagesDropped.increment();
    }

    long ioErrors() {
        return ioErrors.sum();
    }

    /** A free slot, now used; -1 when the pagefile is full (or there is none). */
    synchronized long allocate() {
        if (usedCount == slots) {
            return -1;
        }
        long words = used.length;
        for (long i = 0; i < words; i++) {
            int w = (int) ((hint + i) % words);
            long free = ~used[w];
            if (w == words - 1 && (slots & 63) != 0) {
                free &= (1L << (slots & 63)) - 1;
            }
            if (free != 0) {
                int bit = Long.numberOfTrailingZeros(free);
                used[w] |= 1L << bit;
                usedCount++;
                hint = w;
                return ((long) w << 6) + bit;
            }
        }
        throw new IllegalStateException("pagefile slot map disagrees with its count " + usedCount);
    }

    synchronized void free(long slot) {
        if (slot < 0 || slot >= slots || (used[(int) (slot >>> 6)] & (1L << (slot & 63))) == 0) {
            throw new IllegalStateException("pagefile slot " + slot + " is not in use");
        }
        used[(int) (slot >>> 6)] &= ~(1L << (slot & 63));
        usedCount--;
    }

    /** One page transfer of the {@link Io}. */
    private interface Transfer {
        void run(long position, ByteBuffer page) throws IOException;
    }

    /** Runs one page transfer at {@code slot}, counting it, or counting its failure and rethrowing. */
    private void transfer(Transfer t, long slot, byte[] page, LongAdder done) throws IOException {
        try {
            t.run(slot * PAGE, ByteBuffer.wrap(page, 0, PAGE));
        } catch (IOException | RuntimeException e) {
            ioErrors.increment();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        done.increment();
    }

    /** Writes one page to {@code slot}. */
    void write(long slot, byte[] page) throws IOException {
        transfer(io::write, slot, page, pagesOut);
    }

    /** Reads one page from {@code slot}. */
    void read(long slot, byte[] page) throws IOException {
        transfer(io::read, slot, page, pagesIn);
    }

    /** Closes and deletes the file. */
    @Override
    public void close() {
        synchronized (this) {
            if (io == null || closed) {
                return;
            }
            closed = true;
        }
        if (exitHook != null && Thread.currentThread() != exitHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(exitHook);
            } catch (IllegalStateException exiting) {
                // the JVM is exiting already: the hook runs anyway
            }
        }
        try {
            io.close();
        } catch (IOException e) {
            System.getLogger(PagingFile.class.getName()).log(System.Logger.Level.WARNING,
                    "pagefile " + path + " could not be deleted: " + e.getMessage());
        }
    }
}
