package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import gpu.hw.ScanoutFrame;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import os.memmgr.FrameCounts;
import umd.api.AllocationCreateFlag;
import vidmm.Allocation;
import vidmm.ApertureMapping;
import vidmm.FenceWait;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/** Primaries mapped into the aperture before the display reads them; the display never uses a PASID. */
class DisplayPathTest {
    static final int W = 64;
    static final int H = 48;
    static final int BYTES = W * H * 4;

    Stack s = new Stack(64L << 20);
    FrameCounts start = s.mm.frames();
    int pid = s.mm.spawn("app");
    long device = s.vidmm.createDevice(pid);

    @AfterEach
    void off() throws InterruptedException {
        s.stop();
    }

    Allocation primary() {
        return s.vidmm.allocate(device, BYTES, Set.of(AllocationCreateFlag.PRIMARY));
    }

    /** Fills a primary with one B8G8R8A8 colour on the GPU. */
    void gpuFill(Allocation p, int rgb) {
        long fence = s.vidmm.submit(s.vidmm.context(device, EngineNode.RENDER), List.of(new DmaCommand.Fill(p.va(), BYTES, 0xFF000000 | rgb)));
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(s.vidmm.context(device, EngineNode.RENDER), fence, 5000));
    }

    @Test
    void theScannedFrameHasExactlyThePixelsTheCpuAndTheGpuWrote(@TempDir Path dir) throws Exception {
        Allocation p = primary();
        long fence = s.vidmm.submit(s.vidmm.context(device, EngineNode.RENDER), 
                List.of(new DmaCommand.FillRect(p.va() + (H / 2) * W * 4, W * 4, W * 4, H / 2, 0xFF332211)));
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(s.vidmm.context(device, EngineNode.RENDER), fence, 5000));
        byte[] row = new byte[W * 4];
        for (int x = 0; x < W; x++) {
            row[4 * x] = 0x10;
            row[4 * x + 1] = 0x20;
            row[4 * x + 2] = 0x30;
            row[4 * x + 3] = (byte) 0xFF;
        }
        for (int y = 0; y < H / 2; y++) {
            s.mm.addressSpace(pid).write(p.va() + (long) y * W * 4, row);
        }
        s.vidmm.present(device, p.handle(), 0);
        ScanoutFrame frame = s.gpu.scanout(0);
        assertTrue(frame.errors().isEmpty(), frame.errors().toString());
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                assertEquals(y < H / 2 ? 0x302010 : 0x332211, frame.pixel(x, y), "pixel " + x + "," + y);
            }
        }
        Path png = dir.resolve("out.png");
        frame.writePng(png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(0x302010, image.getRGB(5, 5) & 0xFFFFFF);
        assertEquals(0x332211, image.getRGB(W - 1, H - 1) & 0xFFFFFF);
    }

    @Test
    void theApertureHoldsExactlyThePrimarysFramesWhileDisplayedAndFlipsAlternate() {
        Allocation red = primary();
        Allocation green = primary();
        gpuFill(red, 0xFF0000);
        gpuFill(green, 0x00FF00);
        s.vidmm.present(device, red.handle(), 0);
        ApertureMapping m = s.vidmm.apertureMappings().get(0);
        assertEquals(3, m.pages());
        for (int i = 0; i < m.pages(); i++) {
            assertEquals(m.frames()[i], s.gpu.apertureFrame(m.firstPage() + i));
        }
        assertEquals(3, s.gpu.apertureMappedPages());
        assertEquals(0xFF0000, s.gpu.scanout(0).pixel(10, 10));

        s.vidmm.present(device, green.handle(), 0);
        assertEquals(0x00FF00, s.gpu.scanout(0).pixel(10, 10));
        assertEquals(3, s.gpu.apertureMappedPages(), "the previous primary was unmapped");
        for (int i = 0; i < m.pages(); i++) {
            assertEquals(s.gpu.aperture().dummyFrame(), s.gpu.apertureFrame(m.firstPage() + i), "dummy page after flip");
        }
        s.vidmm.present(device, red.handle(), 0);
        assertEquals(0xFF0000, s.gpu.scanout(0).pixel(10, 10));
        assertEquals(3, s.gpu.apertureMappedPages());
    }

    @Test
    void theApertureCommitLimitIsEnforcedAndARefusalChangesNothing() throws InterruptedException {
        s.stop();
        s = new Stack(4 * 4096);
        pid = s.mm.spawn("limited");
        device = s.vidmm.createDevice(pid);
        Allocation a = primary();
        Allocation b = primary();
        s.vidmm.present(device, a.handle(), 0);
        VidMmException e = assertThrows(VidMmException.class, () -> s.vidmm.present(device, b.handle(), 1));
        assertEquals(VidMmStatus.APERTURE_COMMIT_LIMIT, e.status());
        assertTrue(e.getMessage().contains("ApertureSegmentCommitLimit 16384"), e.getMessage());
        assertEquals(1, s.vidmm.apertureMappings().size());
        assertEquals(3, s.gpu.apertureMappedPages());
        assertEquals(0, s.gpu.scanoutAddress(1));
    }

    @Test
    void badPresentsAreRefusedWithTheirReason() {
        Allocation plain = s.vidmm.allocate(device, BYTES, Set.of());
        Allocation small = s.vidmm.allocate(device, 4096, Set.of(AllocationCreateFlag.PRIMARY));
        Allocation p = primary();
        assertTrue(assertThrows(VidMmException.class, () -> s.vidmm.present(device, plain.handle(), 0)).getMessage()
                .contains("not a primary"));
        assertTrue(assertThrows(VidMmException.class, () -> s.vidmm.present(device, small.handle(), 0)).getMessage()
                .contains("smaller than source 0's 64x48"));
        assertTrue(assertThrows(VidMmException.class, () -> s.vidmm.present(device, p.handle(), 7)).getMessage()
                .contains("source 7 does not exist"));
        assertEquals(0, s.gpu.apertureMappedPages());
        assertEquals(0, s.mm.frames().pinned());
    }

    @Test
    void aDisplayedPrimaryCannotBeFreedUnderTheDisplay() {
        Allocation p = primary();
        gpuFill(p, 0x0000FF);
        s.vidmm.present(device, p.handle(), 0);
        assertEquals(VidMmStatus.ALLOCATION_IN_USE,
                assertThrows(VidMmException.class, () -> s.vidmm.destroyAllocation(device, p.handle())).status());
        s.mm.addressSpace(pid).release(p.va()); // the application frees the VA behind VidMm's back
        assertEquals(0x0000FF, s.gpu.scanout(0).pixel(0, 0), "pinned frames stay until the display lets go");
    }

    @Test
    void killingTheOwnerOfTheDisplayedPrimaryBlanksTheSourceAndReturnsEveryFrame() {
        Allocation p = primary();
        gpuFill(p, 0xABCDEF);
        s.vidmm.present(device, p.handle(), 1);
        s.mm.kill(pid);
        ScanoutFrame frame = s.gpu.scanout(1);
        assertTrue(frame.errors().get(0).contains("no surface"), frame.errors().toString());
        assertArrayEquals(new int[W * H], frame.rgb(), "a defined black frame");
        assertEquals(0, s.gpu.apertureMappedPages());
        assertEquals(start, s.mm.frames());
    }
}
