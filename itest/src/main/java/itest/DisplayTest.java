package itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.osgi.test.common.annotation.InjectService;

import os.memmgr.MemoryManager;

/** From the shell: a primary is drawn, presented, and display:scanout writes a PNG that shows it. */
class DisplayTest extends ShellTestBase {
    @InjectService
    MemoryManager mm;

    @Test
    void aPrimaryDrawnByTheGpuIsScannedOutToAPng() throws Exception {
        String modes = run("display:modes");
        int width = Integer.parseInt(group("source 0\\s+(\\d+)x", modes));
        int height = Integer.parseInt(group("source 0\\s+\\d+x(\\d+)", modes));
        int pitch = width * 4;
        String pid = group("pid (\\d+)", run("mm:spawn painter"));
        String device = group("device (0x\\w+)", run("vidmm:device " + pid));
        String primary = residentAlloc(device, (pitch * height) + " primary");
        String handle = group("allocation (0x\\w+)", primary);
        String va = group("at VA (0x\\w+)", primary);
        long base = Long.decode(va);
        // blue background, a red rectangle from (8,4), 16 pixels wide and 10 high
        String draw = String.format("fill %s %d 0xff0000ff; rect 0x%x %d %d %d 0xffff0000", va, pitch * height,
                base + 4L * pitch + 8 * 4, pitch, 16 * 4, 10);
        assertTrue(run("vidmm:submit " + device + " \"" + draw + "\"").contains("completed"));
        assertTrue(run("display:present " + device + " " + handle).contains("source 0 shows allocation " + handle));
        assertTrue(run("vidmm:aperture").contains("allocation " + handle));

        Path png = Files.createTempFile("scanout", ".png");
        String wrote = run("display:scanout " + png + " 0");
        assertTrue(wrote.startsWith("wrote") && !wrote.contains("errors"), wrote);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(width, image.getWidth());
        assertEquals(0x0000FF, image.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0xFF0000, image.getRGB(8, 4) & 0xFFFFFF);
        assertEquals(0xFF0000, image.getRGB(23, 13) & 0xFFFFFF);
        assertEquals(0x0000FF, image.getRGB(24, 13) & 0xFFFFFF);
        Files.delete(png);

        run("mm:kill " + pid);
        assertTrue(run("display:modes").contains("source 0  " + width + "x" + height), "modes still listed");
        assertTrue(run("display:modes").split("\n")[0].endsWith("no surface"), "the source is blank after the owner exits");
    }
}
