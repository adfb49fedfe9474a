package e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scenario option the scenario does not read is refused in one line that names its options,
 * before anything runs; {@code scenario:list} shows every scenario with its options.
 */
class ScenarioOptionsTest {
    @TempDir
    Path dir;

    @Test
    void anUnknownOptionIsRefusedNamingTheScenariosOptions() throws Exception {
        try (LauncherShell shell = new LauncherShell(LauncherShell.builtJar(), dir)) {
            shell.awaitPrompt();
            String list = shell.type("scenario:list", "(?s)(.*?)g! ");
            for (String scenario : new String[] {"gradient", "sharing", "tiled", "stress", "oversubscribe", "hybrid"}) {
                assertTrue(list.contains(scenario + " "), "scenario:list shows " + scenario + ":\n" + list);
            }
            assertTrue(list.contains("[processes=2 factor=1 seed=N]"), "oversubscribe's defaults:\n" + list);
            String refused = shell.type("scenario:run gradient bogus=1", "(?s)(.*?)g! ");
            assertTrue(refused.contains("scenario gradient has no option 'bogus'; its options: keep, out"), refused);
            assertFalse(refused.contains("wrote"), "nothing ran:\n" + refused);
            assertTrue(shell.type("mm:ps", "(?s)(.*?)g! ").contains("no processes"), "the shell goes on");
            assertFalse(shell.output().contains("\tat "), "no stack trace:\n" + shell.output());
        }
    }
}
