package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two launchers in one directory, as two users would start them: each pages its own data out and
 * back in, in either order of exit, and nothing is lost. The second one says in one line which
 * pagefile and which web console port it took, and prints no stack trace.
 */
class TwoInstancesTest {
    @TempDir
    Path dir;

    /** One instance's process, with {@code text} (at most 16 bytes: one line of mm:read) written at 0x10000 and trimmed to the pagefile. */
    record Paged(LauncherShell shell, String pid, String text) {
        static Paged start(Path jar, Path dir, String text) throws Exception {
            LauncherShell shell = new LauncherShell(jar, dir);
            shell.awaitPrompt();
            String pid = shell.type("mm:spawn " + text, "pid (\\d+)");
            shell.type("mm:alloc " + pid + " 1M", "0x10000");
            shell.type("mm:write " + pid + " 0x10000 " + text, "wrote " + text.length() + " bytes");
            shell.type("mm:trim " + pid, "1 paged out");
            return new Paged(shell, pid, text);
        }

        void assertReadsBack() throws Exception {
            shell.type("mm:read " + pid + " 0x10000 " + text.length(), "\\|" + text + "\\||ERROR.*|[A-Z_]+:.*");
            assertTrue(shell.output().contains("|" + text + "|"), "paged back in; the instance printed:\n" + shell.output());
        }
    }

    @ParameterizedTest(name = "the first instance exits first: {0}")
    @ValueSource(booleans = {true, false})
    void twoInstancesInOneDirectoryLoseNothing(boolean firstExitsFirst) throws Exception {
        Path jar = LauncherShell.builtJar();
        Paged a = Paged.start(jar, dir, "precious-data-a");
        try (LauncherShell aShell = a.shell()) {
            Paged b = Paged.start(jar, dir, "precious-data-b");
            try (LauncherShell bShell = b.shell()) {
                String bSaid = bShell.output();
                assertTrue(bSaid.contains("pagefile pagefile.sys is in use by another instance; this instance pages to pagefile-2.sys"),
                        "the second instance says which pagefile it took:\n" + bSaid);
                assertTrue(bSaid.matches("(?s).*web console: port 8080 is in use \\(another instance\\?\\); serving on 127\\.0\\.0\\.1:80\\d\\d instead.*"),
                        "and which port:\n" + bSaid);
                Paged first = firstExitsFirst ? a : b;
                Paged second = firstExitsFirst ? b : a;
                first.assertReadsBack();
                assertEquals(0, first.shell().exit());
                second.assertReadsBack();
                assertTrue(Files.exists(dir.resolve(firstExitsFirst ? "pagefile-2.sys" : "pagefile.sys")), "the live one's file stays");
                assertEquals(0, second.shell().exit());
                for (LauncherShell shell : new LauncherShell[] {aShell, bShell}) {
                    assertFalse(shell.output().contains("\tat "), "no stack trace:\n" + shell.output());
                    assertFalse(shell.output().contains("Exception"), "no exception:\n" + shell.output());
                }
            }
        }
        assertFalse(Files.exists(dir.resolve("pagefile.sys")), "each clean stop removed its own file");
        assertFalse(Files.exists(dir.resolve("pagefile-2.sys")));
    }
}
