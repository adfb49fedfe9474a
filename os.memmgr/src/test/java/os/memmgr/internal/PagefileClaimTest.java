package os.memmgr.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import os.memmgr.AddressSpace;
import os.memmgr.PageProtection;

/** Two instances in one directory: each owns its own pagefile and nothing either pages out is lost. */
class PagefileClaimTest {
    static final int PAGE = 4096;

    @TempDir
    Path dir;

    /** One instance's process with a page of its own data trimmed to its pagefile. */
    record Paged(Machine machine, AddressSpace space, long va, byte[] data) {
        void assertDataBack() {
            assertArrayEquals(data, space.read(va, data.length), "paged back in from " + machine.pagefile.path());
        }
    }

    static Paged pageOut(Machine m, long seed) {
        int pid = m.mm.spawn("p" + seed);
        AddressSpace as = m.mm.addressSpace(pid);
        long va = as.allocate(16 * PAGE, PageProtection.READWRITE);
        byte[] data = PagingTest.pattern(seed, 16 * PAGE);
        as.write(va, data);
        assertEquals(16, m.mm.trim(pid, 16));
        assertEquals(16, m.pagefile.usedSlots());
        return new Paged(m, as, va, data);
    }

    @Test
    void aSecondInstanceTakesTheNextNameAndEitherStopsWithoutHarmingTheOther() {
        for (boolean firstStopsFirst : new boolean[] {true, false}) {
            Machine a = Machine.withPagefile(16L << 20, dir, 4);
            Machine b = Machine.withPagefile(16L << 20, dir, 4);
            assertEquals(dir.resolve("pagefile.sys"), a.pagefile.path());
            assertEquals(dir.resolve("pagefile-2.sys"), b.pagefile.path(), "the held name is left alone");
            Paged pa = pageOut(a, 1);
            Paged pb = pageOut(b, 2);
            Machine first = firstStopsFirst ? a : b;
            Paged survivor = firstStopsFirst ? pb : pa;
            first.shutdown();
            assertFalse(Files.exists(first.pagefile.path()), "a clean stop removes its own file");
            assertTrue(Files.exists(survivor.machine().pagefile.path()), "and only its own");
            survivor.assertDataBack();
            survivor.machine().shutdown();
            assertFalse(Files.exists(survivor.machine().pagefile.path()));
        }
    }

    /**
     * A second memory manager of this JVM leaves the first one's file alone entirely: its OS lock
     * still keeps another process out afterwards (closing a second channel of the file here would
     * have let it go).
     */
    @Test
    void aSecondClaimInThisJvmKeepsTheFirstOnesLock() throws Exception {
        Machine a = Machine.withPagefile(16L << 20, dir, 4);
        Machine b = Machine.withPagefile(16L << 20, dir, 4);
        try {
            assertEquals(dir.resolve("pagefile-2.sys"), b.pagefile.path());
            assertEquals("held", tryLockFromAnotherProcess(a.pagefile.path()));
        } finally {
            b.shutdown();
            a.shutdown();
        }
    }

    /** What another JVM's non-blocking lock of {@code file} answers: "locked" (it got it) or "held". */
    static String tryLockFromAnotherProcess(Path file) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), TryLock.class.getName(),
                file.toString()).redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            String answer = r.readLine();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            return answer;
        }
    }

    /** Tries once to lock a file and says whether it could. */
    public static final class TryLock {
        public static void main(String[] args) throws Exception {
            try (FileChannel c = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ, StandardOpenOption.WRITE);
                 var lock = c.tryLock()) {
                System.out.println(lock == null ? "held" : "locked");
            }
        }
    }

    @Test
    void aStaleFileNobodyHoldsIsTruncatedAndReused() throws Exception {
        Path stale = dir.resolve("pagefile.sys");
        Files.write(stale, new byte[3 * PAGE]);
        Machine m = Machine.withPagefile(16L << 20, dir, 4);
        try {
            assertEquals(stale, m.pagefile.path());
            assertEquals(0, Files.size(stale), "a crash's leftovers mean nothing");
            pageOut(m, 3).assertDataBack();
        } finally {
            m.shutdown();
        }
    }

    @Test
    void aTombstoneLeftByACrashMidReleaseIsReused() throws Exception {
        Files.write(dir.resolve("pagefile.sys"), new byte[] {'D'});
        Machine m = Machine.withPagefile(16L << 20, dir, 4);
        try {
            assertEquals(dir.resolve("pagefile.sys"), m.pagefile.path());
        } finally {
            m.shutdown();
        }
    }

    /** Another JVM holds the OS lock (as a second launcher would): this instance pages elsewhere, the holder's bytes untouched. */
    @Test
    void aFileLockedByAnotherProcessIsNeverTouched() throws Exception {
        Path held = dir.resolve("pagefile.sys");
        byte[] theirs = PagingTest.pattern(9, 2 * PAGE);
        Files.write(held, theirs);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockHolder.class.getName(), held.toString()).redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream()))) {
            assertEquals("locked", r.readLine(), "the holder took the lock");
            Machine m = Machine.withPagefile(16L << 20, dir, 4);
            try {
                assertEquals(dir.resolve("pagefile-2.sys"), m.pagefile.path());
                pageOut(m, 4).assertDataBack();
            } finally {
                m.shutdown();
            }
            assertArrayEquals(theirs, Files.readAllBytes(held), "the other instance's file is as it left it");
        } finally {
            holder.getOutputStream().close(); // the holder exits at the end of its input
            assertTrue(holder.waitFor(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void numberedNamesKeepTheExtension() {
        assertEquals(Path.of("d/pagefile-3.sys"), PagefileClaim.numbered(Path.of("d/pagefile.sys"), 3));
        assertEquals(Path.of("swap-2"), PagefileClaim.numbered(Path.of("swap"), 2));
    }

    /** A process that holds an exclusive lock on a file until its input ends. */
    public static final class LockHolder {
        public static void main(String[] args) throws Exception {
            try (FileChannel c = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ, StandardOpenOption.WRITE);
                 var lock = c.lock()) {
                System.out.println("locked");
                System.out.flush();
                while (System.in.read() >= 0) {
                    // holds the lock until the test closes our input
                }
            }
        }
    }
}
