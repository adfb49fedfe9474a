package gpu.hw;

import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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

    /** Writes the frame as PNG bytes to {@code out} (which stays open). */
    public void writePng(OutputStream out) throws IOException {
        BufferedImage image = new BufferedImage(mode.width(), mode.height(), BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, mode.width(), mode.height(), rgb, 0, mode.width());
        if (!ImageIO.write(image, "png", out)) {
            throw new IOException("no PNG writer in this Java runtime");
        }
    }

    /**
     * Writes the frame as a PNG file.
     *
     * @throws IOException with one line naming the file and why it cannot be written
     */
    public void writePng(Path file) throws IOException {
        // open the file ourselves: ImageIO prints a stack trace of its own when it cannot
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
            writePng(out);
        } catch (NoSuchFileException e) {
            throw new IOException("cannot write " + file + ": no such directory", e);
        } catch (AccessDeniedException e) {
            throw new IOException("cannot write " + file + ": permission denied", e);
        } catch (FileSystemException e) {
            throw new IOException("cannot write " + file + ": " + (e.getReason() == null ? e.getMessage() : e.getReason()), e);
        }
    }
}
