package itest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.service.ServiceExtension;

import os.memmgr.AddressSpace;
import os.memmgr.FrameCounts;
import os.memmgr.MemoryManager;
import os.memmgr.PageProtection;
import os.memmgr.ProcessInfo;
import umd.api.KernelThunks;
import umd.api.Resource;
import umd.api.TiledResource;
import umd.api.UmdDevice;
import umd.api.UserModeDriver;
import umd.api.WaitResult;

/** The workloads, run from the shell as a user would, and their PNGs checked pixel by pixel. */
@ExtendWith(ServiceExtension.class)
class ScenarioTest {
    static final int[] PALETTE = {0xE6194B, 0x3CB44B, 0xFFE119, 0x4363D8, 0xF58231, 0x911EB4};

    @InjectService
    CommandProcessor processor;
    @InjectService
    MemoryManager mm;
    @InjectService
    UserModeDriver umd;
    @InjectService
    KernelThunks thunks;

    Shell shell;
    @TempDir
    Path dir;

    @BeforeEach
    void open() throws Exception {
        shell = new Shell(processor);
    }

    @AfterEach
    void close() {
        shell.close();
        for (ProcessInfo p : mm.processes()) {
            mm.kill(p.pid());
        }
    }

    BufferedImage run(String scenario) throws Exception {
        Path png = dir.resolve(scenario + ".png");
        String report = shell.run("scenario:run " + scenario + " out=" + png);
        assertTrue(report.contains("wrote " + png) && !report.contains("scanout errors"), report);
        assertTrue(report.contains("IOTLB hit rate"), report);
        return ImageIO.read(png.toFile());
    }

    static int rgb(BufferedImage image, int x, int y) {
        return image.getRGB(x, y) & 0xFFFFFF;
    }

    @Test
    void gradientShowsTheCpuHalfAndTheGpuHalfExactly() throws Exception {
        FrameCounts before = mm.frames();
        BufferedImage image = run("gradient");
        int w = image.getWidth();
        int h = image.getHeight();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int expected = y < h / 2 ? ((x * 255 / (w - 1)) << 16) | ((y * 255 / (h - 1)) << 8) | 0x40
                        : ((y * 255 / (h - 1)) << 8) | 0xC0;
                assertEquals(expected, rgb(image, x, y), "pixel " + x + "," + y);
            }
        }
        assertEquals(before, mm.frames(), "the workload exited and returned every frame");
    }

    @Test
    void sharingShowsTheProducersQuadrantsInTheConsumersPrimary() throws Exception {
        BufferedImage image = run("sharing");
        int w = image.getWidth();
        int h = image.getHeight();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int expected = y >= h / 2 ? (x >= w / 2 ? 0xFFFFFF : 0x0000FF) : (x >= w / 2 ? 0x00FF00 : 0xFF0000);
                assertEquals(expected, rgb(image, x, y), "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void tiledShowsMappedTilesAndZeroForNullTiles() throws Exception {
        BufferedImage image = run("tiled");
        int w = image.getWidth();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < w; x++) {
                int tile = (int) (((long) y * w * 4 + x * 4L) / (64 * 1024));
                int expected = tile % 3 == 2 ? 0 : PALETTE[tile % PALETTE.length];
                assertEquals(expected, rgb(image, x, y), "pixel " + x + "," + y + " in tile " + tile);
            }
        }
    }

    @Test
    void stressReturnsEveryFrameAndPasid() throws Exception {
        FrameCounts before = mm.frames();
        String report = shell.run("scenario:run stress processes=6 rounds=15");
        assertTrue(report.contains("frames balanced; PASIDs all unbound"), report);
        assertEquals(before, mm.frames());
    }

    @Test
    void badScenarioArgumentsAreNamed() {
        for (String[] bad : new String[][] {{"scenario:run nope", "no scenario 'nope'"},
                {"scenario:run stress processes=0", "processes must be a whole number 1..4096"},
                {"scenario:run gradient oops", "options are key=value"}}) {
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> shell.run(bad[0]));
            assertTrue(e.getMessage().contains(bad[1]), bad[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void aTiledMappingOutsideTheProcessFaultsInsteadOfReachingAnotherProcess() {
        int victim = mm.spawn("victim");
        AddressSpace v = mm.addressSpace(victim);
        long secret = v.reserve(0x5000_0000L, 64 * 1024);
        v.commit(secret, 64 * 1024, PageProtection.READWRITE);
        v.write(secret, "secret".getBytes(StandardCharsets.UTF_8));
        int pid = mm.spawn("tiler");
        try (UmdDevice device = umd.createDevice(pid)) {
            TiledResource tiled = device.createTiledResource(1);
            thunks.processMemory(pid).write(tiled.tableVa(),
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(secret).array());
            Resource out = device.createBuffer(4096, false);
            assertEquals(WaitResult.DEVICE_ERROR, device.waitForFence(device.submit(device.createCommandList()
                    .fill(tiled, 0, 6, 0x58585858).copy(tiled, 0, out, 0, 6)), 5000));
            assertArrayEquals("secret".getBytes(StandardCharsets.UTF_8), v.read(secret, 6));
        }
    }

    @Test
    void nullTilesReadZeroAndSwallowWrites() {
        int pid = mm.spawn("tiles");
        try (UmdDevice device = umd.createDevice(pid)) {
            TiledResource tiled = device.createTiledResource(2);
            var pool = device.createTilePool(1);
            device.updateTileMappings(tiled, 1, 1, pool, 0);
            Resource out = device.createBuffer(2 * 64 * 1024, false);
            thunks.processMemory(pid).write(out.va(), new byte[] {7, 7});
            var list = device.createCommandList().fill(tiled, 0, 2 * 64 * 1024, 0x01010101).copy(tiled, 0, out, 0, 2 * 64 * 1024);
            assertEquals(WaitResult.COMPLETED, device.waitForFence(device.submit(list), 5000));
            byte[] got = thunks.processMemory(pid).read(out.va(), 2 * 64 * 1024);
            assertEquals(0, got[0], "tile 0 is NULL: its write vanished and it reads as zero");
            assertEquals(1, got[64 * 1024], "tile 1 is mapped");
        }
    }
}
