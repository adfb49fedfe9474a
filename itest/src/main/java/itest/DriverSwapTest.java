package itest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import os.memmgr.FrameCounts;
import os.memmgr.MemoryManager;
import os.memmgr.ProcessInfo;

/** Swapping the kernel-mode driver bundle while a workload's picture is on screen. */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
class DriverSwapTest {
    @InjectBundleContext
    BundleContext context;
    @InjectService
    CommandProcessor processor;

    Shell shell;
    @TempDir
    Path dir;

    @BeforeEach
    void open() throws Exception {
        shell = new Shell(processor);
    }

    @AfterEach
    void close() throws Exception {
        bundle("kmd.reference").start();
        bundle("umd.reference").start();
        shell.awaitOutput("kmd:list", ".*reference\\s+2\\s+\\d+\\s+attached.*");
        shell.close();
        MemoryManager mm = Shell.await(context, MemoryManager.class);
        for (ProcessInfo p : mm.processes()) {
            mm.kill(p.pid());
        }
    }

    Bundle bundle(String name) {
        for (Bundle b : context.getBundles()) {
            if (name.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError(name + " is not installed");
    }

    int[] scanout(String name) throws Exception {
        Path png = dir.resolve(name);
        shell.run("display:scanout " + png);
        BufferedImage image = ImageIO.read(png.toFile());
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    @Test
    void stoppingTheReferenceDriverSwapsInContosoWithNothingLost() throws Exception {
        MemoryManager mm = Shell.await(context, MemoryManager.class);
        FrameCounts start = mm.frames();
        shell.run("scenario:run gradient keep=true out=" + dir.resolve("run.png"));
        String pid = Shell.group("(\\d+)\\s+0\\s+\\d+\\s+\\d+\\s+0x", shell.run("vidmm:processes"));
        String device = Shell.group(pid + "\\s+0\\s+\\d+\\s+\\d+\\s+(0x\\w+)", shell.run("vidmm:processes"));
        String pasids = shell.run("iommu:pasids");
        String allocations = shell.run("vidmm:allocations");
        int[] before = scanout("before.png");
        assertTrue(Shell.group("(\\S+)\\s+\\d+\\s+\\d+\\s+attached", shell.run("kmd:list")).equals("reference"));

        bundle("kmd.reference").stop();
        String list = shell.run("kmd:list");
        assertTrue(list.matches("(?s).*contoso\\s+1\\s+\\d+\\s+attached.*"), list);
        assertTrue(shell.run("vidmm:caps").contains("Contoso IoMmu KMD"));
        assertArrayEquals(before, scanout("after.png"), "identical images before and after the swap");
        assertEquals(allocations, shell.run("vidmm:allocations"));
        assertEquals(pasids, shell.run("iommu:pasids"));
        String va = Shell.group("0x\\w+\\s+" + device + "\\s+" + pid + "\\s+(0x\\w+)", allocations);
        assertTrue(shell.run("vidmm:submit " + device + " \"fill " + va + " 4 0xff0000ff\"").contains("completed"),
                "work submitted after the swap runs on the new driver");

        bundle("kmd.reference").start();
        shell.awaitOutput("kmd:list", ".*reference\\s+2\\s+\\d+\\s+attached.*"); // the better driver is back
        shell.run("mm:kill " + pid);
        assertEquals(start, mm.frames(), "frames balanced");
    }

    @Test
    void whenTheUmdGoesItsDevicesAreRemovedAndTheProcessCanOpenAnother() throws Exception {
        MemoryManager mm = Shell.await(context, MemoryManager.class);
        FrameCounts start = mm.frames();
        int pid = mm.spawn("app");
        umd.api.UmdDevice device = Shell.await(context, umd.api.UserModeDriver.class).createDevice(pid);
        device.createBuffer(1 << 20, false);
        assertTrue(shell.run("vidmm:processes").contains(pid + " "));

        bundle("umd.reference").stop();
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> device.createBuffer(4096, false));
        assertTrue(e.getMessage().startsWith("device removed: the user-mode driver was stopped"), e.getMessage());
        assertTrue(shell.run("vidmm:processes").contains("no process uses the GPU"), "its kernel device is gone");
        assertEquals("no allocations", shell.run("vidmm:allocations"));

        bundle("umd.reference").start();
        try (umd.api.UmdDevice again = Shell.await(context, umd.api.UserModeDriver.class).createDevice(pid)) {
            umd.api.Resource buffer = again.createBuffer(4096, false);
            assertEquals(umd.api.WaitResult.COMPLETED,
                    again.waitForFence(again.submit(again.createCommandList().fill(buffer, 0, 4, 5)), 5000));
        }
        mm.kill(pid);
        assertEquals(start, mm.frames());
    }

    @Test
    void aVendorBundleInstalledFromItsJarTakesOverAndLeavesCleanly() throws Exception {
        Path jar = Path.of(context.getProperty("example.kmd.jar"));
        assertTrue(Files.isRegularFile(jar), "the example vendor bundle was built at " + jar);
        MemoryManager mm = Shell.await(context, MemoryManager.class);
        FrameCounts start = mm.frames();
        shell.run("scenario:run hybrid keep=true out=" + dir.resolve("run.png")); // renders on adapter 1
        int[] before = scanout("before.png");
        String allocations = shell.run("vidmm:allocations");

        Bundle vendor = context.installBundle(jar.toUri().toString());
        try {
            vendor.start();
            String list = shell.run("kmd:list");
            assertTrue(list.matches("(?s).*\\n1\\s+\\d+\\s+example\\s+3\\s+\\d+\\s+attached.*"), list);
            assertTrue(shell.run("vidmm:caps 1").contains("Example Corp KMD"));
            assertArrayEquals(before, scanout("with-vendor.png"));
            assertEquals(allocations, shell.run("vidmm:allocations"));
            assertTrue(shell.run("scenario:run hybrid source=1").contains("every pixel verified"),
                    "new work runs on the vendor's driver (adapter 1)");
            vendor.update(); // stop, reload from its location, start: out to the reference driver and back in
            assertTrue(shell.run("kmd:list").matches("(?s).*\\n1\\s+\\d+\\s+example\\s+3\\s+\\d+\\s+attached.*"));
            assertArrayEquals(before, scanout("after-update.png"));
        } finally {
            vendor.uninstall();
        }
        assertTrue(shell.run("kmd:list").matches("(?s).*\\n1\\s+\\d+\\s+reference\\s+2\\s+\\d+\\s+attached.*"));
        assertArrayEquals(before, scanout("after.png"));
        for (ProcessInfo p : mm.processes()) {
            mm.kill(p.pid());
        }
        assertEquals(start, mm.frames());
    }
}
