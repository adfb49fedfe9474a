package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance kit as a vendor types it into the launcher's shell: the reference, Contoso and
 * (installed from its JAR) example drivers end "N passed, 0 failed"; each run gives the adapter back
 * to the driver VidMm had attached; junit=FILE writes the report; bad input is one line.
 */
class ConformanceShellTest {
    private static final String SUMMARY = "(?s)(.*?(\\d+) passed, (\\d+) failed.*?)g! ";

    @TempDir
    Path dir;

    private static String run(LauncherShell shell, String command) throws Exception {
        String out = shell.type(command, SUMMARY);
        Matcher m = Pattern.compile("(\\d+) passed, (\\d+) failed").matcher(out);
        assertTrue(m.find(), out);
        assertEquals("0", m.group(2), "'" + command + "' printed:\n" + out);
        assertEquals(21, Integer.parseInt(m.group(1)), "'" + command + "' ran every check:\n" + out);
        assertTrue(out.contains("PASS swap.replay") && out.contains("PASS pasid.isolation"), out);
        return out;
    }

    @Test
    void theReferenceContosoAndExampleDriversPassAndTheirAdaptersComeBack() throws Exception {
        Path root = LauncherShell.projectRoot();
        Path jar = root.resolve("examples/vendor-kmd/target/example.kmd.jar");
        try (LauncherShell shell = new LauncherShell(LauncherShell.builtJar(), dir)) {
            shell.awaitPrompt();
            run(shell, "conformance:run reference");
            run(shell, "conformance:run contoso");
            run(shell, "conformance:run reference 1");
            String umd = shell.type("conformance:umd reference", SUMMARY);
            assertTrue(umd.contains("PASS umd.tiled") && umd.contains("PASS umd.trim") && umd.contains("8 passed, 0 failed"), umd);
            assertTrue(VendorInstallTest.attachedOnAdapter1(VendorInstallTest.kmdList(shell), "reference"),
                    "adapter 1 is back with the reference driver:\n" + shell.output());

            String id = shell.type("install file:" + jar, "Bundle ID: (\\d+)");
            shell.type("start " + id, "g! ");
            assertTrue(VendorInstallTest.attachedOnAdapter1(VendorInstallTest.kmdList(shell), "example"), shell.output());
            Path xml = dir.resolve("example.xml");
            String out = run(shell, "conformance:run example junit=" + xml);
            assertTrue(out.contains("JUnit XML written to " + xml), out);
            String report = Files.readString(xml);
            assertTrue(report.contains("<testsuite name=\"conformance.example\" tests=\"21\" failures=\"0\""), report);
            assertTrue(VendorInstallTest.attachedOnAdapter1(VendorInstallTest.kmdList(shell), "example"),
                    "after the run, adapter 1 is the example driver's again:\n" + shell.output());

            assertTrue(shell.type("conformance:run nosuch", "(?s)(.*?)g! ")
                    .contains("no kernel-mode driver named 'nosuch'; installed: contoso, example, reference"), shell.output());
            assertTrue(shell.type("conformance:run contoso 1", "(?s)(.*?)g! ")
                    .contains("driver 'contoso' does not match adapter 1"), shell.output());
            assertTrue(shell.type("conformance:run reference 0 junit=/no/such/dir/r.xml", "(?s)(.*?)g! ")
                    .contains("cannot write /no/such/dir/r.xml: no such directory /no/such/dir"), shell.output());
            assertFalse(shell.output().contains("\tat "), "no stack trace:\n" + shell.output());
        }
    }
}
