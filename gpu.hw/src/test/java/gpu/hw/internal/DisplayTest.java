package gpu.hw.internal;

import iommu.hw.internal.IommuFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import gpu.hw.ApertureInfo;
import gpu.hw.PciIdentity;
import gpu.hw.ScanoutFrame;
import iommu.hw.internal.IommuUnit;
import iommu.hw.internal.LazySystemMemory;

/** The aperture and the display controller, programmed by physical address (no PASID, no OS). */
class DisplayTest {
    LazySystemMemory memory = IommuFixture.memory(64L << 20);
    SimulatedGpu gpu = new SimulatedGpu(IommuFixture.unit(memory, 0, 64, 8, 1), memory, new PciIdentity(0x1234, 0x1111, 2),
            64, SimulatedGpu.modes(2, 32, 16));
    ApertureInfo aperture = gpu.aperture();

    @AfterEach
    void off() throws InterruptedException {
        gpu.powerOff();
    }

    /** Writes a 32x16 B8G8R8A8 surface into frames 100 and 101 (2 KiB rows of 128 bytes: 16 rows = 2048 bytes). */
    void drawSurface() {
        byte[] surface = new byte[32 * 16 * 4];
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 32; x++) {
                int i = (y * 32 + x) * 4;
                surface[i] = (byte) x;         // B
                surface[i + 1] = (byte) y;     // G
                surface[i + 2] = (byte) 0xC0;  // R
                surface[i + 3] = (byte) 0xFF;  // A
            }
        }
        memory.write(100L << 12, surface, 0, surface.length);
    }

    @Test
    void scanoutReadsThroughTheApertureAndProducesExactPixels(@TempDir Path dir) throws Exception {
        drawSurface();
        gpu.mapAperture(5, new long[] {100});
        assertEquals(1, gpu.apertureMappedPages());
        gpu.setScanoutAddress(0, aperture.baseAddress() + 5 * 4096);
        ScanoutFrame frame = gpu.scanout(0);
        assertTrue(frame.errors().isEmpty(), frame.errors().toString());
        assertEquals(0xC00000 | (3 << 8) | 7, frame.pixel(7, 3));
        Path png = dir.resolve("frame.png");
        frame.writePng(png);
        BufferedImage image = ImageIO.read(Files.newInputStream(png));
        assertEquals(32, image.getWidth());
        assertEquals(0xC00000 | (15 << 8) | 31, image.getRGB(31, 15) & 0xFFFFFF);
    }

    @Test
    void anUnmappedApertureAddressIsReportedAndShowsBlack() {
        drawSurface();
        gpu.setScanoutAddress(1, aperture.baseAddress() + 9 * 4096);
        ScanoutFrame frame = gpu.scanout(1);
        assertEquals(1, frame.errors().size());
        assertTrue(frame.errors().get(0).contains("aperture page 9"), frame.errors().toString());
        assertEquals(0, frame.pixel(7, 3));
        gpu.mapAperture(9, new long[] {100});
        gpu.unmapAperture(9, 1);
        assertEquals(aperture.dummyFrame(), gpu.apertureFrame(9), "unmapped pages point at the dummy page");
        assertTrue(gpu.scanout(0).errors().get(0).contains("no surface"));
    }

    @Test
    void badProgrammingIsRefusedAndChangesNothing() {
        assertThrows(IllegalArgumentException.class, () -> gpu.mapAperture(63, new long[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> gpu.mapAperture(0, new long[] {memory.frameCount()}));
        assertEquals(0, gpu.apertureMappedPages());
        assertThrows(IllegalArgumentException.class, () -> gpu.setScanoutAddress(2, aperture.baseAddress()));
        assertThrows(IllegalArgumentException.class, () -> gpu.setScanoutAddress(0, 0x1000));
        assertThrows(IllegalArgumentException.class, () -> gpu.setScanoutAddress(0, aperture.baseAddress() + 12));
        assertEquals(0, gpu.scanoutAddress(0));
    }
}
