package kmd.conformance.internal;

import java.util.List;

import gpu.hw.DisplayMode;
import kmd.api.AllocationRequest;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.PagingOperation;
import kmd.api.SegmentDescriptor;
import os.memmgr.PinnedPages;

import static kmd.conformance.internal.CheckFailed.require;

/**
 * Swap survival: the driver is stopped and removed, added and started again (as a driver change
 * does), and VidMm's replay (every process, device, context, allocation and displayed primary)
 * brings it back to where it was: contexts run with their process's PASID and go on with their
 * fence values, and the source shows the primary again.
 */
final class ReplayChecks {
    private static final long ALLOCATION = 0x7100;

    private ReplayChecks() {
    }

    static List<Check<Session>> all() {
        return List.of(new Check<>("swap.replay", ReplayChecks::replay));
    }

    static void replay(Session s) {
        KitProcess p = s.process();
        KitProcess.Device d = p.device();
        KitProcess.Context render = d.context(EngineNode.RENDER, 0);
        KitProcess.Context copy = d.context(EngineNode.COPY, 0);
        long va = p.buffer(3 * 4096, (byte) 0);
        render.run(new DmaCommand.Fill(va, 4096, 0x1111_1111), "a fill before the restart");
        copy.run(new DmaCommand.Copy(va, va + 4096, 4096), "a copy before the restart");
        s.kmd().createAllocation(d.handle, new AllocationRequest(3 * 4096, false));
        s.kmd().openAllocation(d.handle, ALLOCATION, true);
        Primary primary = Primary.show(s, p);
        try {
            restartAndCheck(s, p, d, render, copy, va, primary);
        } finally {
            if (primary != null) {
                p.memory.unpin(primary.pin().handle());
            }
        }
    }

    private static void restartAndCheck(Session s, KitProcess p, KitProcess.Device d, KitProcess.Context render,
                                        KitProcess.Context copy, long va, Primary primary) {
        s.restart();
        p.replay();
        s.kmd().createAllocation(d.handle, new AllocationRequest(3 * 4096, false));
        s.kmd().openAllocation(d.handle, ALLOCATION, true);
        if (primary != null) {
            primary.replay(s);
        }

        render.run(new DmaCommand.Fill(va + 2 * 4096, 4096, 0x2222_2222), "a fill on the replayed render context");
        copy.run(new DmaCommand.Copy(va + 2 * 4096, va, 4096), "a copy on the replayed copy context");
        Bytes.expect(p, va, Bytes.pattern(0x2222_2222, 4096), "the replayed contexts' work");
        Bytes.expect(p, va + 4096, Bytes.pattern(0x1111_1111, 4096), "memory from before the restart");
        require(render.lastFence() == 2 && copy.lastFence() == 2, "fence values did not go on across the restart");
        if (primary != null) {
            primary.expectShown(s);
            primary.hide(s);
        }
    }

    /** A primary of source 0 mapped at aperture page 1 and scanned out, with a pattern the checks look for. */
    record Primary(PinnedPages pin, DisplayMode mode, int segment) {
        static Primary show(Session s, KitProcess p) {
            if (s.gpu.displayModes().isEmpty()) {
                return null;
            }
            DisplayMode mode = s.gpu.displayModes().get(0);
            SegmentDescriptor seg = s.apertureSegment();
            int bytes = (int) ((mode.surfaceBytes() + 4095) & ~4095L);
            long va = p.buffer(bytes, (byte) 0x5C);
            Primary primary = new Primary(p.memory.pin(va, bytes, false), mode, seg.id());
            primary.replay(s);
            primary.expectShown(s);
            return primary;
        }

        /** MapApertureSegment and SetVidPnSourceAddress, as VidMm's present (and its replay) does. */
        void replay(Session s) {
            s.paging(new PagingOperation.MapApertureSegment(segment, 1, pin.frames()), "MapApertureSegment of the primary");
            s.kmd().setVidPnSourceAddress(0, segment, 4096);
        }

        void expectShown(Session s) {
            gpu.hw.ScanoutFrame frame = s.gpu.scanout(0);
            require(frame.errors().isEmpty() && frame.scanoutAddress() != 0, "source 0 does not show the primary: "
                    + (frame.scanoutAddress() == 0 ? "no surface" : frame.errors()));
            int expected = 0x5C5C5C;
            for (int y = 0; y < mode.height(); y += Math.max(1, mode.height() / 8)) {
                for (int x = 0; x < mode.width(); x += Math.max(1, mode.width() / 8)) {
                    require(frame.pixel(x, y) == expected, "source 0 shows 0x" + Integer.toHexString(frame.pixel(x, y))
                            + " at (" + x + "," + y + "), the primary has 0x" + Integer.toHexString(expected));
                }
            }
        }

        void hide(Session s) {
            s.kmd().setVidPnSourceAddress(0, 0, 0);
            s.paging(new PagingOperation.UnmapApertureSegment(segment, 1, pin.frames().length), "UnmapApertureSegment");
        }
    }
}
