package itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.osgi.test.common.annotation.InjectService;

import os.memmgr.FrameCounts;
import os.memmgr.MemoryManager;

/** The Gogo commands, executed in a real command session as a user types them. */
class ShellTest extends ShellTestBase {
    @InjectService
    MemoryManager mm;

    @Test
    void theIssueSessionShowsCpuBytesThroughThePasidAndAFaultAfterFree() throws Exception {
        String pid = run("mm:spawn a").replace("pid ", "");
        String va = run("mm:alloc " + pid + " 8192");
        assertTrue(va.startsWith("0x"), va);
        assertEquals("wrote 5 bytes", run("mm:write " + pid + " " + va + " hello"));
        String pasid = run("iommu:bind " + pid).replace("PASID ", "");
        String dump = run("iommu:read " + pasid + " " + va + " 5");
        assertTrue(dump.contains("68 65 6c 6c 6f") && dump.contains("|hello|"), dump);

        String other = run("mm:spawn b").replace("pid ", "");
        String otherPasid = run("iommu:bind " + other).replace("PASID ", "");
        assertTrue(run("iommu:read " + otherPasid + " " + va + " 5").contains("NOT_PRESENT fault"));

        assertEquals("released", run("mm:free " + pid + " " + va));
        String after = run("iommu:read " + pasid + " " + va + " 5");
        assertTrue(after.contains("NOT_PRESENT fault: PASID " + pasid), after);
        assertTrue(run("iommu:faults").contains("NOT_PRESENT"));
        assertTrue(run("iommu:pasids").contains(pasid));
        assertTrue(run("mm:ps").contains(" a "));
    }

    @Test
    void protectAndTranslateFromTheShell() throws Exception {
        String pid = run("mm:spawn p").replace("pid ", "");
        String va = run("mm:alloc " + pid + " 4096 rw");
        run("mm:write " + pid + " " + va + " hex:0102");
        String pasid = run("iommu:bind " + pid).replace("PASID ", "");
        assertTrue(run("iommu:translate " + pasid + " " + va + " w").contains("-> PA"));
        assertEquals("was rw", run("mm:protect " + pid + " " + va + " 4096 r"));
        assertTrue(run("iommu:translate " + pasid + " " + va + " w").contains("WRITE_PROTECTED"));
        assertTrue(run("iommu:write " + pasid + " " + va + " x").contains("WRITE_PROTECTED"));
        assertTrue(run("mm:read " + pid + " " + va + " 2").contains("01 02"));
    }

    @Test
    void badArgumentsNameTheProblemAndChangeNothing() throws Exception {
        String pid = run("mm:spawn q").replace("pid ", "");
        FrameCounts frames = mm.frames();
        assertMessage("BYTES must be 1..", "mm:alloc " + pid + " 0");
        assertMessage("BYTES must be a number", "mm:alloc " + pid + " lots");
        assertMessage("protection must be", "mm:alloc " + pid + " 4096 rwq");
        assertMessage("no process has pid 999", "mm:alloc 999 4096");
        assertMessage("not canonical", "mm:write " + pid + " 0x800000000000 x");
        assertMessage("nothing is reserved", "mm:free " + pid + " 0x10000");
        assertMessage("access must be r, w or x", "iommu:translate 1 0x10000 q");
        assertMessage("20-bit PASID table", "iommu:read 2000000 0x10000 4");
        assertMessage("even number of hex digits", "mm:write " + pid + " 0x10000 hex:abc");
        assertEquals(frames, mm.frames());
        assertEquals(1, mm.processes().size());
    }

    @Test
    void aPngThatCannotBeWrittenIsAOneLineErrorWithNoStackTrace() throws Exception {
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true));
        try {
            assertMessage("cannot write /nonexistent/dir/x.png: no such directory", "display:scanout /nonexistent/dir/x.png");
            assertMessage("cannot write /proc/nope.png", "scenario:run gradient out=/proc/nope.png");
        } finally {
            System.setErr(err);
        }
        assertTrue(!captured.toString().contains("\tat "), "a stack trace was printed: " + captured);
        assertEquals(0, mm.processes().size(), "the failed scenario ended its process");
    }

    void assertMessage(String expected, String line) {
        Exception e = assertThrows(Exception.class, () -> run(line), line);
        assertTrue(e.getMessage() != null && e.getMessage().contains(expected),
                line + " -> " + e.getMessage() + " (expected it to mention '" + expected + "')");
    }
}
