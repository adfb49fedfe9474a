package itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectService;

import iommu.hw.Iommu;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import os.memmgr.FrameCounts;
import os.memmgr.MemoryManager;
import umd.api.AllocationCreateFlag;
import vidmm.AdapterStatus;
import vidmm.Allocation;
import vidmm.FenceWait;
import vidmm.VidMm;

/** VidMm, the reference KMD, the GPU and the IOMMU as bundles in Felix. */
class GpuPathTest extends ShellTestBase {
    @InjectService
    ConfigurationAdmin configAdmin;

    @Test
    void theIssueShellSessionCopiesOnTheGpuAndReportsAFault() throws Exception {
        String pid = group("pid (\\d+)", run("mm:spawn a"));
        String device = group("device (0x\\w+)", run("vidmm:device " + pid));
        String first = residentAlloc(device, "8192");
        String second = residentAlloc(device, "8192");
        assertTrue(second.endsWith("8192 bytes [CPU_VISIBLE]"), "the driver's DXGK_ALLOCATIONINFOFLAGS: " + second);
        String va1 = group("at VA (0x\\w+)", first);
        String va2 = group("at VA (0x\\w+)", second);
        run("mm:write " + pid + " " + va1 + " hello-gpu");
        assertTrue(run("vidmm:submit " + device + " \"@copy copy " + va1 + " " + va2 + " 9\"").contains("completed"));
        assertTrue(run("mm:read " + pid + " " + va2 + " 9").contains("|hello-gpu|"));

        String pasid = group(pid + "\\s+0\\s+0\\s+(\\d+)", run("vidmm:processes")); // adapter 0, unit 0
        assertTrue(run("iommu:pasids").contains(pasid + " "), "vidmm:processes shows the PASID iommu:pasids lists");
        assertTrue(run("kmd:info").contains("pid " + pid + " PASIDs [" + pasid + "]"), "the KMD received that PASID");

        run("mm:protect " + pid + " " + va2 + " 4096 r");
        String faulted = run("vidmm:submit " + device + " \"fill " + va2 + " 16 0\"");
        assertTrue(faulted.contains("device faulted"), faulted);
        String faults = run("vidmm:faults");
        assertTrue(faults.contains("VA " + va2) && faults.contains("WRITE_PROTECTED"), faults);
        assertTrue(run("mm:read " + pid + " " + va2 + " 9").contains("|hello-gpu|"), "target bytes unchanged");
        assertTrue(run("mm:read " + pid + " " + va1 + " 9").contains("|hello-gpu|"), "other memory intact");
    }

    @Test
    void badGpuCommandsNameTheProblemAndChangeNothing() throws Exception {
        String pid = group("pid (\\d+)", run("mm:spawn careful"));
        String device = group("device (0x\\w+)", run("vidmm:device " + pid));
        String plain = group("allocation (0x\\w+)", run("vidmm:alloc " + device + " 4096"));
        MemoryManager mm = await(MemoryManager.class);
        FrameCounts frames = mm.frames();
        String allocations = run("vidmm:allocations");
        String[][] cases = {
                {"vidmm:device 999", "no process has pid 999"},
                {"vidmm:alloc " + device + " 4096 primary,fast", "FLAGS must be a comma list of primary, shared; not 'fast'"},
                {"vidmm:alloc " + device + " 4096 cpu", "'cpu' is not a creation flag: the driver describes an allocation CPU_VISIBLE"},
                {"vidmm:alloc 0x999 4096", "no device has handle 0x999"},
                {"vidmm:alloc " + device + " 0", "BYTES must be 1.."},
                {"vidmm:submit " + device + " \"fill 0x10000\"", "expected 'fill DST LEN [PATTERN]'"},
                {"vidmm:free " + device + " 0x999", "has no allocation 0x999"},
                {"vidmm:open " + device + " " + plain, "was not created SHARED"},
                {"display:present " + device + " " + plain, "is not a primary"},
                {"display:scanout frame.jpg", "FILE must name a .png file"},
                {"display:scanout x.png 9", "video present source 9 does not exist"}};
        for (String[] c : cases) {
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> run(c[0]), c[0]);
            assertTrue(e.getMessage() != null && e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
        assertEquals(frames, mm.frames());
        assertEquals(allocations, run("vidmm:allocations"));
    }

    @Test
    void twoProcessesGetDifferentPasidsAndTheDriverGetsEach() throws Exception {
        String a = group("pid (\\d+)", run("mm:spawn a"));
        String b = group("pid (\\d+)", run("mm:spawn b"));
        run("vidmm:device " + a);
        run("vidmm:device " + b);
        String registered = run("vidmm:processes");
        String pasidA = group(a + "\\s+0\\s+0\\s+(\\d+)", registered);
        String pasidB = group(b + "\\s+0\\s+0\\s+(\\d+)", registered);
        assertTrue(!pasidA.equals(pasidB), registered);
        String told = run("kmd:info");
        assertTrue(told.contains("pid " + a + " PASIDs [" + pasidA + "]") && told.contains("pid " + b + " PASIDs [" + pasidB + "]"),
                told);
    }

    @Test
    void processExitUnbindsItsPasidAndReturnsEveryFrame() throws Exception {
        MemoryManager mm = await(MemoryManager.class);
        VidMm vidmm = await(VidMm.class);
        Iommu iommu = await(Iommu.class);
        FrameCounts before = mm.frames();
        int pid = mm.spawn("worker");
        long device = vidmm.createDevice(pid);
        Allocation a = vidmm.allocate(device, 1 << 20, Set.of(AllocationCreateFlag.CREATE_SHARED));
        vidmm.makeResident(device, List.of(a.handle())); // the GPU touches only resident memory (windows policy)
        long fence = vidmm.submit(vidmm.context(device, EngineNode.RENDER), List.of(new DmaCommand.Fill(a.va(), 1 << 20, 0x12345678)));
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(vidmm.context(device, EngineNode.RENDER), fence, 5000));
        int pasid = mm.addressSpace(pid).pasids().get(0);
        mm.kill(pid);
        assertTrue(!iommu.boundPasids().containsKey(pasid));
        assertTrue(vidmm.processes().isEmpty());
        assertEquals(before, mm.frames());
    }

    @Test
    void aDriverWithCapsThisModelCannotServeIsRefusedWithAReason() throws Exception {
        org.osgi.framework.Bundle contoso = java.util.Arrays.stream(context.getBundles())
                .filter(b -> "kmd.alt".equals(b.getSymbolicName())).findFirst().orElseThrow();
        contoso.stop(); // no other driver to fall back to
        Configuration config = configAdmin.getConfiguration("kmd.reference", "?");
        try {
            Dictionary<String, Object> props = new Hashtable<>();
            props.put("ioMmuSupported", false);
            props.put("gpuMmuSupported", true);
            config.update(props);
            AdapterStatus status = awaitAdapter(AdapterStatus.State.REFUSED);
            assertTrue(status.reason().contains("GpuMmu"), status.reason());
            assertTrue(run("vidmm:caps").contains("adapter 0 refused"));
            String pid = group("pid (\\d+)", run("mm:spawn r"));
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> run("vidmm:device " + pid));
            assertTrue(e.getMessage().contains("ADAPTER_NOT_STARTED"), e.getMessage());
            assertTrue(run("iommu:pasids").contains("no PASID"), "nothing registered");
        } finally {
            config.delete();
            contoso.start();
        }
        shell.awaitOutput("kmd:list", ".*reference\\s+2\\s+\\d+\\s+attached.*");
    }

    @Test
    void aRefusedDriverFallsBackToTheNextBest() throws Exception {
        Configuration config = configAdmin.getConfiguration("kmd.reference", "?");
        try {
            Dictionary<String, Object> props = new Hashtable<>();
            props.put("gpuMmuSupported", true);
            config.update(props);
            // kmd:list can show the refusal before the next best driver has attached: await both
            String list = shell.awaitOutput("kmd:list",
                    "(?=.*reference\\s+2\\s+\\d+\\s+refused: .*both)(?=.*contoso\\s+1\\s+\\d+\\s+attached).*");
            assertTrue(list.matches("(?s).*contoso\\s+1\\s+\\d+\\s+attached.*"), list);
            assertTrue(run("vidmm:caps").contains("adapter 0 started"));
        } finally {
            config.delete();
        }
        shell.awaitOutput("kmd:list", ".*reference\\s+2\\s+\\d+\\s+attached.*");
    }

    AdapterStatus awaitAdapter(AdapterStatus.State state) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        AdapterStatus status = null;
        while (System.currentTimeMillis() < deadline) {
            status = await(VidMm.class).adapter();
            if (status.state() == state) {
                return status;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("adapter did not reach " + state + ": " + status);
    }
}
