package e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A valid, heavy workload typed into the launcher's shell on the default machine: two processes
 * whose memory together is RAM, half written by the CPU and half filled by the GPU through page
 * requests, then read back by both while the pagefile takes the rest. It must verify, record no GPU
 * fault and leave adapter 0 with the driver it had. (It once copied between two buffers whose pages
 * shared the GPU's device-TLB slots: the engine asked for each side's translation in turn forever,
 * VidMm judged it hung, and the reset gave up both drivers and the adapter.)
 */
class OversubscribeTest {
    @TempDir
    Path dir;

    @Test
    void twoProcessesOfHalfTheRamEachVerifyAndLeaveTheAdapterRunning() throws Exception {
        try (LauncherShell shell = new LauncherShell(LauncherShell.builtJar(), dir)) {
            shell.awaitPrompt();
            String report = shell.type("scenario:run oversubscribe processes=2 factor=1", "(?s)(.*?)g! ", 240);
            assertTrue(report.contains("every byte read back by CPU and GPU: verified"), "the scenario verified:\n" + report);
            String faults = shell.type("vidmm:faults", "(?s)(.*?)g! ");
            assertTrue(faults.contains("no GPU faults"), "no fault, no timeout, no reset:\n" + faults);
            String gpus = shell.type("gpu:list", "(?s)(.*?)g! ");
            assertTrue(gpus.matches("(?s).*\\n0 .*reference\\s*\\n.*"), "adapter 0 keeps its driver:\n" + gpus);
            String kmds = shell.type("kmd:list", "(?s)(.*?)g! ");
            assertFalse(kmds.contains("refused"), "no driver was given up:\n" + kmds);
            assertFalse(shell.output().contains("\tat "), "no stack trace:\n" + shell.output());
        }
    }
}
