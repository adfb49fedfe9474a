package e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vendor guide's shell session (docs/vendor.md, linked from README), typed into the launcher's
 * own shell as a vendor types it (the block is read from the guide, so it cannot drift from what works): install
 * the example driver, start it (it takes adapter 1), update it, stop it (adapter 1 goes back to the
 * reference driver), uninstall it. Every output line the guide shows must appear, ids aside.
 */
class VendorInstallTest {
    @TempDir
    Path dir;

    static String kmdList(LauncherShell shell) throws Exception {
        return shell.type("kmd:list", "(?s)ADAPTER.*?\\n1 .*?\\n(?:1 .*?\\n)*g! ");
    }

    static boolean attachedOnAdapter1(String kmdList, String driver) {
        return Pattern.compile("(?m)^1 +\\d+ +" + driver + " +\\d+ +\\d+ +attached$").matcher(kmdList).find();
    }

    @Test
    void theVendorGuidesSessionInstallsStartsUpdatesAndStopsTheExampleDriver() throws Exception {
        Path root = LauncherShell.projectRoot();
        Path jar = root.resolve("examples/vendor-kmd/target/example.kmd.jar");
        assertTrue(Files.isRegularFile(jar), "the example driver is built at " + jar);
        ShellSessions.Session block = ShellSessions.holding(root.resolve("docs/vendor.md"),
                "install file:/path/to/examples/vendor-kmd");
        try (LauncherShell shell = new LauncherShell(LauncherShell.builtJar(), dir)) {
            shell.awaitPrompt();
            assertTrue(attachedOnAdapter1(kmdList(shell), "reference"), "before: the reference driver on adapter 1");
            String readmeId = null;
            String id = null;
            for (ShellSessions.Step step : block.steps()) {
                String typed = step.command().replace("file:/path/to/", "file:" + root + "/");
                if (readmeId != null) {
                    typed = typed.replaceAll("\\b" + readmeId + "\\b", id);
                }
                String command = typed.replaceAll("\\s+#.*", "");
                String out = shell.type(typed, "(?s)(.*?)g! ");
                for (String expected : step.shown()) {
                    if (expected.startsWith("Bundle ID: ")) {
                        readmeId = expected.substring("Bundle ID: ".length()).trim();
                        id = out.replaceAll("(?s).*Bundle ID: (\\d+).*", "$1").trim();
                        assertTrue(id.matches("\\d+"), "install printed a bundle id: " + out);
                    } else {
                        assertTrue(Pattern.compile(ShellSessions.regex(expected)).matcher(out).find(),
                                "'" + command + "' printed " + out + ", the guide shows " + expected);
                    }
                }
                if (command.startsWith("start ") || command.startsWith("update ")) {
                    assertTrue(attachedOnAdapter1(kmdList(shell), "example"), "after '" + command + "': the example driver"
                            + " runs adapter 1:\n" + shell.output());
                } else if (command.startsWith("stop ")) {
                    assertTrue(attachedOnAdapter1(kmdList(shell), "reference"), "after '" + command + "': adapter 1 is back"
                            + " with the reference driver:\n" + shell.output());
                }
            }
            assertTrue(id != null, "the guide's block installs a bundle");
            assertTrue(shell.type("lb example", "(?s)(.*?)g! ").contains("No matching bundles"), "uninstalled");
            assertFalse(shell.output().contains("\tat "), "no stack trace:\n" + shell.output());
        }
    }
}
