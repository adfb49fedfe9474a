package itest;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The GPU fault policy as a user sets it from the shell (os.memmgr.GpuFaults): windows by default, a
 * value that is neither policy refused in one line with nothing changed, sva applied at once to the
 * IOMMU's context entries (PRE), and the default back once the configuration goes.
 */
class GpuFaultPolicyTest extends ShellTestBase {
    @Test
    void thePolicyIsConfiguredFromTheShellAndShowsInTheContextEntries() throws Exception {
        try {
            assertTrue(run("mm:pagefile").contains("GPU faults  windows"), run("mm:pagefile"));
            assertTrue(run("iommu:context").matches("(?s).*00:02\\.0 .* PRE 0 .*"), run("iommu:context"));

            Exception bad = assertThrows(Exception.class, () -> run("config:set os.memmgr.GpuFaults policy=linux"));
            assertTrue(bad.getMessage().contains("policy=linux") && !bad.getMessage().contains("\n"), bad.getMessage());
            assertTrue(run("mm:pagefile").contains("GPU faults  windows"), "a refused value changes nothing");

            run("config:set os.memmgr.GpuFaults policy=sva"); // returns once the setting component has it
            assertTrue(run("mm:pagefile").contains("GPU faults  sva"), run("mm:pagefile"));
            assertTrue(run("iommu:context").matches("(?s).*00:02\\.0 .* PRE 1 .*"), run("iommu:context"));
        } finally {
            run("config:set os.memmgr.GpuFaults policy=windows");
            run("config:delete os.memmgr.GpuFaults");
        }
        assertTrue(run("mm:pagefile").contains("GPU faults  windows"), run("mm:pagefile"));
    }
}
