package e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every shell session README.md shows (its ``` blocks with {@code g! } lines) typed into the
 * launcher's own shell, each in a fresh instance, as a newcomer types it: every line README shows
 * after a command must appear in what that command printed, modulo ids, times and paths. README
 * stays true by construction.
 */
class ReadmeSessionsTest {
    @TempDir
    Path dir;

    static List<ShellSessions.Session> sessions() throws Exception {
        Path root = LauncherShell.projectRoot();
        List<ShellSessions.Session> all = ShellSessions.of(root.resolve("README.md"));
        assertFalse(all.isEmpty(), "README.md shows shell sessions");
        return all;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sessions")
    void readmesSessionPrintsWhatReadmeShows(ShellSessions.Session session) throws Exception {
        try (LauncherShell shell = new LauncherShell(LauncherShell.builtJar(), dir)) {
            shell.awaitPrompt();
            for (ShellSessions.Step step : session.steps()) {
                String out = shell.type(step.command(), "(?s)(.*?)g! ");
                for (String shown : step.shown()) {
                    assertTrue(Pattern.compile(ShellSessions.regex(shown)).matcher(out).find(), session + ": '"
                            + step.command() + "' printed\n" + out + "\nREADME shows\n" + shown + "\nthe whole session:\n"
                            + shell.output());
                }
            }
            assertFalse(shell.output().contains("\tat "), "no stack trace:\n" + shell.output());
        }
    }
}
