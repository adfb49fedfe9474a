package os.memmgr.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One instance's hold on a pagefile: the open file and an exclusive OS lock on it, from
 * {@link #claim} to {@link #release}. The protocol that keeps two instances in one directory from
 * losing each other's pages:
 * <ol>
 * <li>open the name without truncating and try the lock; a file another instance holds is left
 * alone, and the next name is tried (a file another memory manager of this JVM holds is not even
 * opened: closing a second channel of it could let its POSIX lock go):
 * {@code pagefile.sys}, {@code pagefile-2.sys}, ... up to {@link #MAX_INSTANCES};</li>
 * <li>with the lock held, check that the file was not deleted by an owner that was stopping between
 * our open and our lock: such an owner left a one-byte tombstone in it; then the name is tried
 * again (it names a new file now, or none);</li>
 * <li>only then truncate: the file was left by a crash (nobody holds it), its bytes mean nothing;</li>
 * <li>release writes the tombstone and deletes the file while the lock is still held, then closes,
 * so that a file is only ever removed by the instance that owns it.</li>
 * </ol>
 */
final class PagefileClaim {
    /** How many instances may page in one directory at once. */
    static final int MAX_INSTANCES = 64;
    private static final byte TOMBSTONE = 'D';

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;

    private PagefileClaim(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    Path path() {
        return path;
    }

    FileChannel channel() {
        return channel;
    }

    /**
     * Claims {@code path} or the first free numbered name beside it.
     *
     * @throws UncheckedIOException naming the path when a file cannot be created or every name is held
     */
    static PagefileClaim claim(Path path) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            for (int n = 1; n <= MAX_INSTANCES; n++) {
                Path candidate = numbered(path, n);
                for (int attempt = 0; attempt < 3; attempt++) {
                    Outcome o = tryClaim(candidate);
                    if (o.claim != null) {
                        return o.claim;
                    }
                    if (o.held) {
                        break; // a live instance owns it: the next name
                    }
                    // the name was deleted under us by its stopping owner: try the same name again
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("pagefile " + path + " cannot be opened: " + e.getMessage(), e);
        }
        throw new UncheckedIOException(new IOException("pagefile " + path + " and its " + (MAX_INSTANCES - 1)
                + " numbered neighbours are all in use by other instances"));
    }

    /** {@code pagefile.sys} for 1, {@code pagefile-2.sys} for 2, ... */
    static Path numbered(Path path, int n) {
        if (n == 1) {
            return path;
        }
        String name = path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String numbered = dot > 0 ? name.substring(0, dot) + "-" + n + name.substring(dot) : name + "-" + n;
        return path.resolveSibling(numbered);
    }

    private record Outcome(PagefileClaim claim, boolean held) {
    }

    /**
     * The files this JVM holds: never opened a second time here, since closing any channel of a file
     * may let go the POSIX lock another channel of this JVM holds on it.
     */
    private static final java.util.Set<Path> HELD_HERE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static Outcome tryClaim(Path candidate) throws IOException {
        Path key = candidate.toAbsolutePath().normalize();
        if (!HELD_HERE.add(key)) {
            return new Outcome(null, true); // another memory manager of this JVM owns it
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(candidate, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException e) {
            HELD_HERE.remove(key);
            throw e;
        }
        boolean keep = false;
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException thisJvmHoldsIt) {
                lock = null;
            }
            if (lock == null) {
                return new Outcome(null, true); // another process owns it
            }
            if (deletedByOwner(channel) && !(Files.exists(candidate) && Files.size(candidate) == 1)) {
                // its owner deleted it after our open: closing the channel lets the lock go. (A name
                // whose file is still the one-byte tombstone was left by a crash mid-release: ours.)
                return new Outcome(null, false);
            }
            channel.truncate(0); // stale: left by an instance that is gone
            keep = true;
            return new Outcome(new PagefileClaim(candidate, channel, lock), false);
        } finally {
            if (!keep) {
                HELD_HERE.remove(key);
                channel.close();
            }
        }
    }

    /**
     * Whether the owner that held {@code channel}'s file deleted it before it let the lock go: its
     * tombstone, one byte, is all the file holds (a pagefile is whole pages, a new file empty). The
     * file is checked through the channel: opening it again by name here would let a POSIX lock go.
     */
    private static boolean deletedByOwner(FileChannel channel) throws IOException {
        if (channel.size() != 1) {
            return false;
        }
        ByteBuffer b = ByteBuffer.allocate(1);
        return channel.read(b, 0) == 1 && b.get(0) == TOMBSTONE;
    }

    /**
     * Deletes the file while still holding its lock, leaving the tombstone for an instance that
     * opened it just before, then closes it (which lets the lock go).
     */
    void release() throws IOException {
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(new byte[] {TOMBSTONE}), 0);
            Files.deleteIfExists(path);
        } finally {
            try {
                lock.release();
            } finally {
                channel.close();
                HELD_HERE.remove(path.toAbsolutePath().normalize());
            }
        }
    }
}
