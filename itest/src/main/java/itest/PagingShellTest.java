package itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.test.common.annotation.InjectService;

import os.memmgr.FrameCounts;
import os.memmgr.MemoryManager;

/** Paging, the commit limit, budgets and configuration, from the shell as a user types them. */
class PagingShellTest extends ShellTestBase {
    @InjectService
    MemoryManager mm;

    @Test
    void aQuarterGigabyteFilledByTheGpuIsReadByTheCpuAndHostMemoryGoesBackAfterKill() throws Exception {
        String pid = group("pid (\\d+)", run("mm:spawn big"));
        String device = group("device (0x\\w+)", run("vidmm:device " + pid));
        String alloc = run("vidmm:alloc " + device + " 256M");
        String va = group("at VA (0x\\w+)", alloc);
        String handle = group("allocation (0x\\w+)", alloc);
        assertTrue(run("vidmm:resident " + device + " " + handle).startsWith("resident"), "the UMD's part: MakeResident first");
        assertTrue(run("vidmm:submit " + device + " \"fill " + va + " 256M 0xa5c3e1f7\"").contains("completed"));
        long base = Long.decode(va);
        for (long off : new long[] {0, 100L << 20, (256L << 20) - 16}) {
            String dump = run("mm:read " + pid + " " + String.format("0x%x", base + off) + " 16");
            assertTrue(dump.contains("f7 e1 c3 a5 f7 e1 c3 a5"), dump);
        }
        assertTrue(run("vidmm:budget " + pid).contains("CurrentUsage 262144 KiB"));
        run("mm:kill " + pid);
        long hostKiB = Long.parseLong(group("host memory (\\d+) KiB", run("mm:frames")));
        assertTrue(hostKiB < 32 * 1024, "host memory " + hostKiB + " KiB after the kill");
    }

    @Test
    void trimPagesOutAndAReadBringsTheBytesBack() throws Exception {
        String pid = group("pid (\\d+)", run("mm:spawn t"));
        String va = run("mm:alloc " + pid + " 1M");
        run("mm:write " + pid + " " + va + " paged-out-and-back");
        run("mm:write " + pid + " " + String.format("0x%x", Long.decode(va) + (1 << 20) - 4096) + " last-page");
        assertTrue(run("mm:trim " + pid).matches("trimmed 2 pages of pid " + pid + ": 0 resident, 2 paged out"),
                "only touched pages were resident");
        assertTrue(run("mm:ps").matches("(?s).*" + pid + " +t +- +0x\\w+ +256 +256 +0 +2.*"), run("mm:ps"));
        assertTrue(run("mm:frames").contains("paged out   2 pages"));
        assertTrue(run("mm:read " + pid + " " + va + " 16").contains("|paged-out-and-ba|"));
        assertTrue(run("mm:pagefile").matches("(?s).*pages out +2 written.*pages in +1.*"), run("mm:pagefile"));
        run("mm:kill " + pid);
        assertTrue(run("mm:pagefile").contains("slots used  0"));
    }

    @Test
    void limitsAndBadConfigurationAreRefusedWithOneLineAndChangeNothing() throws Exception {
        String pid = group("pid (\\d+)", run("mm:spawn q"));
        FrameCounts frames = mm.frames();
        assertMessage("COMMITMENT_LIMIT", "mm:alloc " + pid + " 64G");
        String reserved = run("mm:reserve " + pid + " 32G");
        assertMessage("exceed the commit limit", "mm:commit " + pid + " " + reserved + " 32G");
        assertTrue(run("mm:query " + pid + " " + reserved).contains("RESERVE"));
        assertMessage("no process has pid 999", "mm:trim 999");
        assertMessage("PAGES must be >= 1", "mm:trim " + pid + " 0");
        assertMessage("does not use the GPU", "vidmm:budget " + pid);
        assertMessage("refused by the metatype", "config:set os.memmgr.PagingFile sizeMiB=-1");
        assertMessage("refused by the metatype", "config:set os.memmgr.PagingFile lowWaterPercent=90");
        assertMessage("must be a whole number", "config:set os.memmgr.PagingFile sizeMiB=lots");
        assertMessage("no key 'colour'", "config:set os.memmgr.PagingFile colour=red");
        assertMessage("is not key=value", "config:set os.memmgr.PagingFile sizeMiB");
        assertMessage("no configurable PID 'no.such.Pid'", "config:set no.such.Pid a=1");
        assertMessage("has no configuration", "config:delete os.memmgr.PagingFile");
        assertTrue(run("config:get os.memmgr.PagingFile").matches("(?s).*sizeMiB += 4096 +default.*"),
                "a refused set changed nothing");
        assertEquals(frames, mm.frames());
        assertEquals(0, mm.paging().commitCharge());
    }

    @Test
    void theLowWaterMarkAppliesAtOnceAndDeleteRestoresTheDefault() throws Exception {
        long frames = mm.frames().total();
        try {
            assertEquals("os.memmgr.PagingFile updated: lowWaterPercent=5", run("config:set os.memmgr.PagingFile lowWaterPercent=5"));
            shell.awaitOutput("mm:pagefile", "(?s).*low water   " + frames * 5 / 100 + " free frames.*");
            assertTrue(run("config:get os.memmgr.PagingFile").matches("(?s).*lowWaterPercent += 5 +set.*"));
            assertTrue(run("config:list").matches("(?s).*os.memmgr.PagingFile +configured.*"));
        } finally {
            run("config:delete os.memmgr.PagingFile");
        }
        shell.awaitOutput("mm:pagefile", "(?s).*low water   " + frames / 100 + " free frames.*");
    }

    /** The session: a 64 MiB machine with a 256 MiB pagefile runs processes that touch twice its RAM. */
    @Test
    void aSmallMachineWithAPagefileOversubscribesAndEveryByteComesBack() throws Exception {
        Bundle hw = findBundle("iommu.hw");
        try {
            run("config:set iommu.hw.SystemMemory sizeMiB=64");
            run("config:set os.memmgr.PagingFile sizeMiB=256");
            hw.stop();
            hw.start();
            awaitMemory(64L << 20);
            shell.awaitOutput("mm:pagefile", "(?s).*256 MiB \\(65536 slots\\).*");
            String report = shell.awaitOutput("scenario:run oversubscribe processes=4 factor=2 seed=7", "(?s).*verified.*");
            long out = Long.parseLong(group("pages out (\\d+)", report));
            long in = Long.parseLong(group("pages in (\\d+)", report));
            long requests = Long.parseLong(group("(\\d+) page requests", report));
            assertTrue(out > 0 && in > 0 && requests > 0, report);
            assertTrue(run("mm:frames").matches("(?s).*paged out   0 pages.*pagefile    0 of 65536 slots used.*"
                    + "commit      0 of .*"), run("mm:frames"));
            assertTrue(run("mm:pagefile").contains("slots used  0"));
        } finally {
            run("config:delete iommu.hw.SystemMemory");
            run("config:delete os.memmgr.PagingFile");
            hw.stop();
            hw.start();
            awaitMemory(4096L << 20);
            await(MemoryManager.class);
        }
    }

    void awaitMemory(long bytes) throws Exception {
        assertEquals(bytes, Shell.awaitMemorySize(context, bytes), "system memory never became " + bytes);
    }

    Bundle findBundle(String symbolicName) {
        return Shell.bundle(context, symbolicName);
    }

    void assertMessage(String expected, String line) {
        Exception e = assertThrows(Exception.class, () -> run(line), line);
        assertTrue(e.getMessage() != null && e.getMessage().contains(expected) && !e.getMessage().contains("\n\tat "),
                line + " -> " + e.getMessage() + " (expected one line mentioning '" + expected + "')");
    }
}
