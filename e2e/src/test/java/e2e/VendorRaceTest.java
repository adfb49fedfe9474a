package e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vendor flow typed as fast as a pipe types it, the moment the prompt shows, five times over:
 * install, start, update, stop, uninstall. The launcher asks the framework to set each installed or
 * updated bundle's start level, a request the framework's start-level thread serves in turn; while
 * that thread was still starting the web console, the requests waited until after the uninstall and
 * the framework printed "Error locking ... Bundle in unexpected state" with a stack trace.
 */
class VendorRaceTest {
    @TempDir
    Path dir;

    @Test
    void theVendorFlowTypedAtOnceAfterThePromptPrintsNoError() throws Exception {
        Path jar = LauncherShell.projectRoot().resolve("examples/vendor-kmd/target/example.kmd.jar");
        assertTrue(Files.isRegularFile(jar), "the example driver is built at " + jar);
        try (LauncherShell shell = new LauncherShell(LauncherShell.builtJar(), dir)) {
            shell.awaitPrompt();
            for (int round = 0; round < 5; round++) {
                String id = shell.type("install file:" + jar, "Bundle ID: (\\d+)");
                shell.type("start " + id, "g! ");
                shell.type("update " + id, "g! ");
                shell.type("stop " + id, "g! ");
                shell.type("uninstall " + id, "g! ");
            }
            shell.type("lb example", "No matching bundles|g! ");
            assertFalse(shell.output().contains("ERROR") || shell.output().contains("\tat "),
                    "no error, no stack trace:\n" + shell.output());
        }
    }
}
