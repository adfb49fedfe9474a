package kmd.conformance.internal;

import java.util.List;

import gpu.hw.DisplayMode;
import gpu.hw.ScanoutFrame;
import kmd.api.PagingOperation;
import kmd.api.SegmentDescriptor;
import kmd.api.VidPnSourceMode;
import os.memmgr.PinnedPages;

import static kmd.conformance.internal.CheckFailed.require;

/**
 * DxgkDdiBuildPagingBuffer moves, fills and maps exactly what it is asked (not a byte or a page
 * more), reports the paging fence after it; the display scans out what the aperture maps.
 */
final class PagingChecks {
    private static final int SIZE = 3 * 4096;

    private PagingChecks() {
    }

    static List<Check<Session>> all() {
        return List.of(new Check<>("paging.transfer", PagingChecks::transfer), new Check<>("paging.fill", PagingChecks::fill),
                new Check<>("paging.monitored-fence", PagingChecks::monitoredFence),
                new Check<>("paging.aperture", PagingChecks::aperture), new Check<>("display.scanout", PagingChecks::scanout));
    }

    static void transfer(Session s) {
        KitProcess p = s.process();
        long src = p.buffer(SIZE, (byte) 0);
        byte[] data = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        p.memory.write(src, data);
        long dst = p.buffer(SIZE, (byte) 0xEE);
        s.paging(new PagingOperation.Transfer(p.pasids[0], src + 100, dst + 300, 5000), "Transfer");
        byte[] expected = Bytes.repeat((byte) 0xEE, SIZE);
        System.arraycopy(data, 100, expected, 300, 5000);
        Bytes.expect(p, dst, expected, "Transfer of 5000 bytes from +100 to +300");
    }

    static void fill(Session s) {
        KitProcess p = s.process();
        long va = p.buffer(SIZE, (byte) 0xEE);
        s.paging(new PagingOperation.Fill(p.pasids[0], va + 4, 4096 + 8, 0x01020304), "Fill");
        byte[] expected = Bytes.repeat((byte) 0xEE, SIZE);
        System.arraycopy(Bytes.pattern(0x01020304, 4096 + 8), 0, expected, 4, 4096 + 8);
        Bytes.expect(p, va, expected, "Fill of 4104 bytes at +4");
    }

    static void monitoredFence(Session s) {
        KitProcess p = s.process();
        long va = p.buffer(4096, (byte) 0xEE);
        long value = 0x0123_4567_89AB_CDEFL;
        s.paging(new PagingOperation.SignalMonitoredFence(p.pasids[0], va + 8, value), "SignalMonitoredFence");
        byte[] expected = Bytes.repeat((byte) 0xEE, 24);
        for (int i = 0; i < 8; i++) {
            expected[8 + i] = (byte) (value >>> (8 * i));
        }
        Bytes.expect(p, va, expected, "SignalMonitoredFence writes 8 little-endian bytes at the fence VA");
    }

    /** MapApertureSegment points exactly the pages asked at exactly the frames given; Unmap points them back at the dummy. */
    static void aperture(Session s) {
        SegmentDescriptor seg = s.apertureSegment();
        KitProcess p = s.process();
        long va = p.buffer(4 * 4096, (byte) 1);
        PinnedPages pin = p.memory.pin(va, 4 * 4096, false);
        try {
            long dummy = s.gpu.aperture().dummyFrame();
            long first = Math.min(3, (seg.size() >>> 12) - 5);
            require(first >= 1, "the aperture segment is too small to check (" + seg.size() + " bytes)");
            s.paging(new PagingOperation.MapApertureSegment(seg.id(), first, pin.frames()), "MapApertureSegment");
            for (int i = -1; i <= 4; i++) {
                long frame = s.gpu.apertureFrame(first + i);
                long expected = i < 0 || i == 4 ? dummy : pin.frames()[i];
                require(frame == expected, "after MapApertureSegment of pages " + first + ".." + (first + 3)
                        + ", aperture page " + (first + i) + " points at frame 0x" + Long.toHexString(frame)
                        + ", expected 0x" + Long.toHexString(expected) + (expected == dummy ? " (the dummy page)" : ""));
            }
            s.paging(new PagingOperation.UnmapApertureSegment(seg.id(), first, 4), "UnmapApertureSegment");
            for (int i = 0; i < 4; i++) {
                require(s.gpu.apertureFrame(first + i) == dummy, "after UnmapApertureSegment, aperture page "
                        + (first + i) + " still points at frame 0x" + Long.toHexString(s.gpu.apertureFrame(first + i)));
            }
        } finally {
            p.memory.unpin(pin.handle());
        }
    }

    /** The source modes match the hardware's, and a primary mapped and set as source address is what the display shows. */
    static void scanout(Session s) {
        List<VidPnSourceMode> modes = s.kmd().queryVidPnSourceModes();
        List<DisplayMode> hw = s.gpu.displayModes();
        require(modes.size() == hw.size(), "QueryVidPnSourceModes reports " + modes.size() + " sources; the adapter has "
                + hw.size());
        if (hw.isEmpty()) {
            return;
        }
        DisplayMode mode = hw.get(0);
        VidPnSourceMode m = modes.get(0);
        require(m.width() == mode.width() && m.height() == mode.height() && m.pitch() == mode.pitch(),
                "source 0's mode is " + m + "; the hardware's is " + mode);
        SegmentDescriptor seg = s.apertureSegment();
        KitProcess p = s.process();
        int bytes = (int) ((mode.surfaceBytes() + 4095) & ~4095L);
        long va = p.buffer(bytes, (byte) 0);
        byte[] image = new byte[bytes];
        for (int y = 0; y < mode.height(); y++) {
            for (int x = 0; x < mode.width(); x++) {
                int at = y * mode.pitch() + 4 * x;
                image[at] = (byte) (x * 3);      // B
                image[at + 1] = (byte) (y * 5);  // G
                image[at + 2] = (byte) (x ^ y);  // R
                image[at + 3] = (byte) 0xFF;
            }
        }
        p.memory.write(va, image);
        PinnedPages pin = p.memory.pin(va, bytes, false);
        try {
            long first = 1;
            s.paging(new PagingOperation.MapApertureSegment(seg.id(), first, pin.frames()), "MapApertureSegment");
            s.kmd().setVidPnSourceAddress(0, seg.id(), first << 12);
            ScanoutFrame frame = s.gpu.scanout(0);
            require(frame.errors().isEmpty(), "the display met errors scanning source 0: " + frame.errors());
            for (int y = 0; y < mode.height(); y++) {
                for (int x = 0; x < mode.width(); x++) {
                    int expected = ((x ^ y) & 0xFF) << 16 | ((y * 5) & 0xFF) << 8 | ((x * 3) & 0xFF);
                    require(frame.pixel(x, y) == expected, "after SetVidPnSourceAddress, pixel (" + x + "," + y + ") of"
                            + " source 0 is 0x" + Integer.toHexString(frame.pixel(x, y)) + ", the primary has 0x"
                            + Integer.toHexString(expected));
                }
            }
            s.kmd().setVidPnSourceAddress(0, 0, 0);
            require(s.gpu.scanoutAddress(0) == 0, "SetVidPnSourceAddress with segment 0 left source 0 scanning 0x"
                    + Long.toHexString(s.gpu.scanoutAddress(0)));
            s.paging(new PagingOperation.UnmapApertureSegment(seg.id(), first, pin.frames().length), "UnmapApertureSegment");
        } finally {
            p.memory.unpin(pin.handle());
        }
    }
}
