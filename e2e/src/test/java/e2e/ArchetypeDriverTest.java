package e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A vendor project generated from the KMD archetype with a new name takes the adapter it matches,
 * installed from the launcher's shell as docs/vendor.md says. The archetype's integration test
 * generated it (Acme Graphics' driver {@code acme}, PCI 1234:2222, score 4, package com.acme.kmd:
 * archetypes/vendor-kmd/src/test/resources/projects/acme) and built it with {@code mvn verify}, which
 * ran the conformance kit against it; here its bundle replaces the reference driver on adapter 1.
 */
class ArchetypeDriverTest {
    @TempDir
    Path dir;

    @Test
    void theGeneratedDriverInstallsFromTheShellAndTakesTheAdapterItMatches() throws Exception {
        Path project = LauncherShell.projectRoot().resolve("archetypes/vendor-kmd/target/test-classes/projects/acme/project/acme.kmd");
        Path jar = project.resolve("target/acme.kmd.jar");
        assertTrue(Files.isRegularFile(jar), "the archetype's integration test generated and built " + jar);
        assertTrue(Files.readString(project.resolve("src/main/java/com/acme/kmd/VendorDriver.java"))
                .contains("NAME = \"acme\""), "the driver is named as generated");
        try (LauncherShell shell = new LauncherShell(LauncherShell.builtJar(), dir)) {
            shell.awaitPrompt();
            shell.type("install file:" + jar, "Bundle ID: (\\d+)");
            shell.type("start (bundle:id acme.kmd)", "(?s)(.*?)g! ");
            String list = shell.type("kmd:list", "(?s)ADAPTER.*?\\n1 .*?\\n(?:1 .*?\\n)*g! ");
            assertTrue(Pattern.compile("(?m)^1 +\\d+ +acme +4 +\\d+ +attached$").matcher(list).find(),
                    "acme (score 4) drives adapter 1:\n" + list);
            assertTrue(Pattern.compile("(?m)^0 +\\d+ +reference +2 +\\d+ +attached$").matcher(list).find(),
                    "adapter 0 (1234:1111) keeps the reference driver:\n" + list);
            String run = shell.type("conformance:run acme", "(?s)(\\d+ passed, \\d+ failed)", 120);
            assertTrue(run.endsWith(" 0 failed"), "the kit passes it in the shell too: " + run);
            assertFalse(shell.output().contains("\tat "), "no stack trace:\n" + shell.output());
        }
    }
}
