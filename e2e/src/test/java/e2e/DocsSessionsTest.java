package e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every shell session the pages under docs/ show, typed into the launcher's own shell page by page,
 * in page order, as a reader types them, with the checks README's sessions have ({@link
 * ReadmeSessionsTest}): each block in a fresh instance unless the line before it says it {@value
 * ShellSessions#CONTINUES}; a command's annotation is not typed and {@code /path/to/} is this
 * checkout ({@link ShellSessions#typed}). The pages stay true by construction.
 */
class DocsSessionsTest {
    @TempDir
    Path dir;

    static List<Path> pages() throws Exception {
        List<Path> pages = new ArrayList<>();
        try (Stream<Path> docs = Files.list(LauncherShell.projectRoot().resolve("docs"))) {
            for (Path page : docs.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
                if (!ShellSessions.of(page).isEmpty()) {
                    pages.add(page);
                }
            }
        }
        assertTrue(pages.size() >= 4, "docs/ shows shell sessions: " + pages);
        return pages;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pages")
    void everySessionOfThePagePrintsWhatThePageShows(Path page) throws Exception {
        Path root = LauncherShell.projectRoot();
        LauncherShell shell = null;
        try {
            for (ShellSessions.Session session : ShellSessions.of(page)) {
                if (shell == null || !session.continues()) {
                    if (shell != null) {
                        assertFalse(shell.output().contains("\tat "), "no stack trace:\n" + shell.output());
                        shell.close();
                    }
                    shell = new LauncherShell(LauncherShell.builtJar(), dir);
                    shell.awaitPrompt();
                }
                for (ShellSessions.Step step : session.steps()) {
                    String command = ShellSessions.typed(step.command(), root);
                    String out = shell.type(command, "(?s)(.*?)g! ", 120);
                    for (String shown : step.shown()) {
                        assertTrue(Pattern.compile(ShellSessions.regex(shown)).matcher(out).find(), session + ": '"
                                + command + "' printed\n" + out + "\nthe page shows\n" + shown + "\nthe whole session:\n"
                                + shell.output());
                    }
                }
            }
            assertFalse(shell.output().contains("\tat "), "no stack trace:\n" + shell.output());
        } finally {
            if (shell != null) {
                shell.close();
            }
        }
    }
}
