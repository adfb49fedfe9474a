package itest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import os.memmgr.FrameCounts;
import os.memmgr.MemoryManager;
import os.memmgr.ProcessInfo;

/**
 * The default machine's two adapters: each comes up with its driver behind its own IOMMU unit; the
 * hybrid scenario renders on adapter 1 and presents on adapter 0; driver bundles that come and go
 * change only the adapters they drive, and the picture stays the same through every swap.
 */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class MultiAdapterTest {
    /** The hybrid scenario's colour bars (workloads' Pixels.BARS), left to right. */
    static final int[] BARS = {0xFFFFFF, 0xFFFF00, 0x00FFFF, 0x00FF00, 0xFF00FF, 0xFF0000, 0x0000FF, 0x000000};

    @InjectBundleContext
    BundleContext context;
    @InjectService
    CommandProcessor processor;
    @TempDir
    Path dir;
    Shell shell;

    @BeforeEach
    void open() {
        shell = new Shell(processor);
    }

    @AfterEach
    void close() throws Exception {
        Shell.bundle(context, "kmd.reference").start();
        Shell.bundle(context, "kmd.alt").start();
        shell.awaitOutput("gpu:list", ".*0\\s+PCI 1234:1111.*reference.*1\\s+PCI 1234:2222.*reference.*");
        shell.close();
        MemoryManager mm = Shell.await(context, MemoryManager.class);
        for (ProcessInfo p : mm.processes()) {
            mm.kill(p.pid());
        }
    }

    /** adapter N's lines of kmd:info (what the reference driver was told there). */
    String referenceInfo(int adapter) throws Exception {
        String info = shell.run("kmd:info");
        java.util.regex.Matcher m = Pattern.compile("(?s)adapter " + adapter + ": (.*?)(?=adapter \\d+: |\\z)").matcher(info);
        return m.find() ? m.group(1).strip() : "";
    }

    String attached(int adapter) throws Exception {
        return Shell.group("(?m)^" + adapter + "\\s+\\d+\\s+(\\S+)\\s+\\d+\\s+\\d+\\s+attached", shell.run("kmd:list"));
    }

    int[] scanout(String name) throws Exception {
        Path png = dir.resolve(name);
        shell.run("display:scanout " + png + " 0 0");
        BufferedImage image = ImageIO.read(png.toFile());
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    static void assertBars(Path png) throws Exception {
        BufferedImage image = ImageIO.read(png.toFile());
        int w = image.getWidth();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < w; x++) {
                assertEquals(BARS[x * BARS.length / w], image.getRGB(x, y) & 0xFFFFFF, "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void theDefaultMachineHasTwoAdaptersBehindTwoUnitsEachWithItsDriver() throws Exception {
        String adapters = shell.run("gpu:list");
        assertTrue(adapters.matches("(?s).*\\n0\\s+PCI 1234:1111 rev 02\\s+0\\s+2\\s+reference.*"), adapters);
        assertTrue(adapters.matches("(?s).*\\n1\\s+PCI 1234:2222 rev 02\\s+1\\s+none\\s+reference.*"), adapters);
        String units = shell.run("iommu:units");
        assertTrue(units.matches("(?s).*\\n0\\s+.*\\n1\\s+.*"), units);
        assertEquals("reference", attached(0));
        assertEquals("reference", attached(1));
        String list = shell.run("kmd:list");
        assertTrue(list.matches("(?s).*\\n1\\s+\\d+\\s+contoso\\s+0\\s+\\d+\\s+does not match PCI 1234:2222.*"),
                "Contoso matches only 1234:1111: " + list);
        assertTrue(shell.run("display:modes 1").contains("render-only"));
    }

    @Test
    void theMachineIsNamedFactoryConfigurationsTheShellCanRead() throws Exception {
        String list = shell.run("config:list");
        assertTrue(list.matches("(?s).*gpu\\.hw\\.Adapter~1\\s+configured\\s+GPU adapter.*"), list);
        assertTrue(list.matches("(?s).*iommu\\.hw\\.Iommu~NAME\\s+factory.*"), list);
        String adapter1 = shell.run("config:get gpu.hw.Adapter~1");
        assertTrue(adapter1.matches("(?s).*pci\\.device\\s+= 8738\\s+set.*"), adapter1);
        assertTrue(adapter1.matches("(?s).*dma\\.target\\s+= \\(iommu\\.unit=1\\)\\s+set.*"), adapter1);
        assertError("gpu.hw.Adapter is a factory", "config:set gpu.hw.Adapter displaySources=1");
        assertError("refused by the metatype", "config:set gpu.hw.Adapter~1 displaySources=9");
        assertError("ADAPTER 7 does not exist", "gpu:info 7");
        assertError("UNIT 5 does not exist", "iommu:pasids 5");
        assertError("adapter 9 does not exist", "vidmm:device 4 9");
    }

    void assertError(String expected, String line) {
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> shell.run(line), line);
        assertTrue(e.getMessage().contains(expected) && !e.getMessage().contains("\n"), line + " -> " + e.getMessage());
    }

    @Test
    void hybridRendersOnOneAdapterAndPresentsOnTheOtherThroughEverySwap() throws Exception {
        Path jar = Path.of(context.getProperty("example.kmd.jar"));
        assertTrue(Files.isRegularFile(jar), "the example vendor bundle was built at " + jar);
        MemoryManager mm = Shell.await(context, MemoryManager.class);
        FrameCounts start = mm.frames();
        Path png = dir.resolve("hybrid.png");
        String report = shell.run("scenario:run hybrid keep=true out=" + png);
        assertTrue(report.contains("every pixel verified"), report);
        assertTrue(report.matches("(?s).*the copy on adapter 0 waited on the GPU for adapter 1's fence 0x\\w+ \\(value 1\\).*"),
                report);
        assertTrue(report.contains("rendered on adapter 1 (PCI 1234:2222 rev 02, IOMMU unit 1")
                && report.contains("presented on adapter 0 (PCI 1234:1111 rev 02, IOMMU unit 0"), report);
        assertBars(png);
        String pid = Shell.group("process (\\d+) rendered", report);
        String processes = shell.run("vidmm:processes");
        String pasid0 = Shell.group("(?m)^" + pid + "\\s+0\\s+0\\s+(\\d+)", processes);
        String pasid1 = Shell.group("(?m)^" + pid + "\\s+1\\s+1\\s+(\\d+)", processes);
        assertTrue(shell.run("iommu:pasids 0").matches("(?s).*\\n" + pasid0 + "\\s+0x.*"));
        assertTrue(shell.run("iommu:pasids 1").matches("(?s).*\\n" + pasid1 + "\\s+0x.*"));
        assertTrue(shell.run("mm:ps").contains("0:" + pasid0 + ",1:" + pasid1), shell.run("mm:ps"));
        int[] before = scanout("before.png");
        String allocations = shell.run("vidmm:allocations");

        // Contoso goes: only adapter 0 had it as a candidate; neither adapter changes driver
        String adapter0 = referenceInfo(0);
        String adapter1 = referenceInfo(1);
        Shell.bundle(context, "kmd.alt").stop();
        assertTrue(!shell.run("kmd:list").contains("contoso"));
        assertEquals(adapter0, referenceInfo(0), "adapter 0 kept its driver context (no replay)");
        assertEquals(adapter1, referenceInfo(1), "adapter 1 was not touched");
        Shell.bundle(context, "kmd.alt").start();

        // the example vendor driver matches 1234:2222 with score 3: it takes adapter 1 only
        Bundle vendor = context.installBundle(jar.toUri().toString());
        try {
            vendor.start();
            shell.awaitOutput("kmd:list", "(?s).*\\n1\\s+\\d+\\s+example\\s+3\\s+\\d+\\s+attached.*");
            assertEquals("reference", attached(0));
            assertEquals(adapter0, referenceInfo(0), "adapter 0 was not touched");
            assertTrue(shell.run("vidmm:caps 1").contains("Example Corp KMD"));
            assertArrayEquals(before, scanout("with-vendor.png"), "the picture is the same");
            assertEquals(allocations, shell.run("vidmm:allocations"));

            // the reference bundle goes: adapter 0 moves to Contoso, adapter 1 stays with the vendor
            Shell.bundle(context, "kmd.reference").stop();
            shell.awaitOutput("kmd:list", "(?s).*\\n0\\s+\\d+\\s+contoso\\s+1\\s+\\d+\\s+attached.*");
            assertEquals("example", attached(1));
            assertArrayEquals(before, scanout("with-contoso.png"), "the picture is the same");
            assertTrue(shell.run("scenario:run hybrid source=1").contains("every pixel verified"),
                    "new work runs on both (presenting on source 1: source 0 stays the kept process's)");
            Shell.bundle(context, "kmd.reference").start();
            shell.awaitOutput("kmd:list", "(?s).*\\n0\\s+\\d+\\s+reference\\s+2\\s+\\d+\\s+attached.*");
            assertEquals("example", attached(1), "3 beats the reference driver's 2 on adapter 1");
        } finally {
            vendor.uninstall();
        }
        assertEquals("reference", attached(1));
        assertArrayEquals(before, scanout("after.png"), "the picture is the same");
        assertEquals(allocations, shell.run("vidmm:allocations"));

        shell.run("mm:kill " + pid);
        assertEquals("no PASID is bound", shell.run("iommu:pasids 0"));
        assertEquals("no PASID is bound", shell.run("iommu:pasids 1"));
        assertNotEquals(before.length, 0);
        assertEquals(start, mm.frames(), "frames balanced");
    }
}
