package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The script {@code ./run} ends in, {@code launcher/start}, started as {@code ./run} starts it: the
 * first start after a build makes the class data sharing archive, and that start and the next read
 * their classes from it (counted in the JVM's class-load log, set through {@code JAVA_TOOL_OPTIONS}
 * as a user would); an archive older than the jar is made again; and {@code ./run} itself starts
 * without building when nothing changed since the build. Each start runs README's piped session to
 * its {@code hello}.
 */
class StartScriptTest {
    static final String MAKING = "preparing the class data sharing archive";
    static final String FROM_ARCHIVE = "source: shared objects file (top)";

    @TempDir
    Path dir;

    /** {@code script} run with this JVM's java first on the path. */
    static ProcessBuilder script(Path script, Path... firstOnPath) {
        ProcessBuilder start = new ProcessBuilder(script.toString());
        StringBuilder path = new StringBuilder();
        for (Path p : firstOnPath) {
            path.append(p).append(':');
        }
        path.append(Path.of(LauncherShell.java()).getParent()).append(':').append(System.getenv("PATH"));
        start.environment().put("PATH", path.toString());
        return start;
    }

    /** README's session typed into a start of the script; everything it printed. */
    private String session(Path log) throws Exception {
        ProcessBuilder start = script(LauncherShell.projectRoot().resolve("launcher/start"));
        start.environment().put("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + log);
        return session(start);
    }

    private String session(ProcessBuilder start) throws Exception {
        try (LauncherShell shell = new LauncherShell(start, dir)) {
            shell.awaitPrompt();
            String pid = shell.type("mm:spawn a", "pid (\\d+)");
            shell.type("mm:alloc " + pid + " 8192", "0x10000");
            shell.type("mm:write " + pid + " 0x10000 hello", "wrote 5 bytes");
            String pasid = shell.type("iommu:bind " + pid, "PASID (\\d+)");
            shell.type("iommu:read " + pasid + " 0x10000 5", "\\|hello\\|");
            shell.exit();
            return shell.output();
        }
    }

    private static long fromArchive(Path log) throws Exception {
        List<String> lines = Files.readAllLines(log);
        return lines.stream().filter(l -> l.contains(FROM_ARCHIVE)).count();
    }

    /**
     * {@code ./run} right after the build starts without building again (it did at every start while
     * {@code itest.bndrun}, which the build rewrites after making the jar, counted as a source). A
     * {@code mvn} first on the path that refuses to run stands for a build, so that one would fail here
     * at once instead of running a build inside this one.
     */
    /** A {@code mvn} first on the path that refuses to run: a build would fail at once. */
    private Path refusingMvn() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path mvn = bin.resolve("mvn");
        Files.writeString(mvn, "#!/bin/sh\necho \"mvn $* was called\" >&2\nexit 1\n");
        mvn.toFile().setExecutable(true);
        return bin;
    }

    @Test
    void runStartsWithoutBuildingWhenNothingChangedSinceTheBuild() throws Exception {
        String out = session(script(LauncherShell.projectRoot().resolve("run"), refusingMvn()));
        assertFalse(out.contains("building the model") || out.contains("was called"), "./run built again:\n" + out);
        assertTrue(out.contains("|hello|"), out);
    }

    /** {@code ./run} started from another directory: what commands write lands there, not in the checkout. */
    @Test
    void runWritesFilesInTheDirectoryItWasStartedFrom() throws Exception {
        Path root = LauncherShell.projectRoot();
        long started = System.currentTimeMillis() - 1000;
        try (LauncherShell shell = new LauncherShell(script(root.resolve("run"), refusingMvn()), dir)) {
            shell.awaitPrompt();
            String wrote = shell.type("scenario:run gradient", "wrote (\\S+gradient\\.png)");
            assertEquals(dir.resolve("gradient.png").toRealPath(), Path.of(wrote).toRealPath(), "written where ./run started");
            shell.exit();
        }
        assertTrue(Files.isRegularFile(dir.resolve("gradient.png")));
        Path inCheckout = root.resolve("gradient.png");
        assertFalse(Files.exists(inCheckout) && Files.getLastModifiedTime(inCheckout).toMillis() >= started,
                "nothing written into the checkout");
    }

    @Test
    void theFirstStartAfterABuildMakesTheArchiveAndEveryStartReadsItsClassesFromIt() throws Exception {
        Path jar = LauncherShell.builtJar().toAbsolutePath().normalize();
        Path archive = jar.resolveSibling("launcher.jsa");
        Files.deleteIfExists(archive);
        Files.deleteIfExists(jar.resolveSibling("launcher.jsa.jar"));

        String first = session(dir.resolve("first.log"));
        assertTrue(first.contains(MAKING), "the first start makes the archive:\n" + first);
        assertTrue(Files.size(archive) > 0, "at " + archive);
        long firstShared = fromArchive(dir.resolve("first.log"));
        assertTrue(firstShared > 1000, "the first start read " + firstShared + " classes from the archive");

        String second = session(dir.resolve("second.log"));
        assertFalse(second.contains(MAKING), "the next start makes none:\n" + second);
        long secondShared = fromArchive(dir.resolve("second.log"));
        assertTrue(secondShared > 1000, "the next start read " + secondShared + " classes from the archive");

        Files.setLastModifiedTime(archive, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 60_000));
        String stale = session(dir.resolve("stale.log"));
        assertTrue(stale.contains(MAKING), "an archive older than the jar is made again:\n" + stale);
        assertTrue(Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar)) >= 0);
        for (String out : List.of(first, second, stale)) {
            assertFalse(out.contains("\tat "), "no stack trace:\n" + out);
            assertFalse(out.contains("[warning]"), "no JVM warning:\n" + out);
        }
    }
}
