package gpu.hw;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

/**
 * One frame the display controller scanned out: opaque RGB pixels, row by row, and the errors met
 * (an address outside the aperture, an unmapped aperture page); where memory could not be read the
 * pixels are black.
 *
 * @param source        the video present source
 * @param mode          its mode
 * @param scanoutAddress the aperture address scanned (0 when the source shows no surface)
 * @param rgb           {@code width * height} pixels as 0xRRGGBB
 * @param errors        what went wrong, empty for a clean frame
 */
public record ScanoutFrame(int source, DisplayMode mode, long scanoutAddress, int[] rgb, List<String> errors) {
    public ScanoutFrame {
        errors = List.copyOf(errors);
    }

    public int pixel(int x, int y) {
        return rgb[y * mode.width() + x];
    }

    /** Writes the frame as a PNG file. */
    public void writePng(Path file) throws IOException {
        BufferedImage image = new BufferedImage(mode.width(), mode.height(), BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, mode.width(), mode.height(), rgb, 0, mode.width());
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer in this Java runtime");
        }
    }
}
