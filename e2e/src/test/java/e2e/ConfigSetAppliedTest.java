package e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code config:set} returns once the change is applied, typed into the launcher's shell as a piped
 * session types it: the very next command, with no pause between, sees the adapter reconfigured or
 * added (docs/configuration.md). Before, {@code gpu:list} right after it still showed the old sources
 * or no new adapter.
 */
class ConfigSetAppliedTest {
    @TempDir
    Path dir;

    @Test
    void theCommandAfterConfigSetSeesTheChangedAndTheAddedAdapter() throws Exception {
        try (LauncherShell shell = new LauncherShell(LauncherShell.builtJar(), dir)) {
            shell.awaitPrompt();
            String set = shell.type("config:set gpu.hw.Adapter~1 displaySources=1", "(?s)(.*?)g! ");
            assertTrue(set.contains("gpu.hw.Adapter~1 updated: displaySources=1") && !set.contains("not applied"), set);
            String list = shell.type("gpu:list", "(?s)(.*?)g! ");
            assertTrue(Pattern.compile("(?m)^1 +PCI 1234:2222 rev 02 +1 +1 ").matcher(list).find(),
                    "adapter 1 has one source at once:\n" + list);
            String added = shell.type("config:set gpu.hw.Adapter~2 adapter.index=2 pci.device=0x1111 \"dma.target=(iommu.unit=0)\"",
                    "(?s)(.*?)g! ");
            assertFalse(added.contains("not applied"), added);
            list = shell.type("gpu:list", "(?s)(.*?)g! ");
            assertTrue(Pattern.compile("(?m)^2 +PCI 1234:1111 rev 02 +0 ").matcher(list).find(),
                    "adapter 2 is there at once:\n" + list);
            assertFalse(shell.output().contains("\tat "), "no stack trace:\n" + shell.output());
        }
    }
}
