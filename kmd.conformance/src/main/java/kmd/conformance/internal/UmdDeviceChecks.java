package kmd.conformance.internal;

import java.util.List;

import gpu.hw.ScanoutFrame;
import umd.api.Fence;
import umd.api.Resource;
import umd.api.SurfaceMode;
import umd.api.UmdDevice;
import umd.api.WaitResult;

import static kmd.conformance.internal.CheckFailed.require;

/**
 * A UMD's devices: a GPU wait on a fence holds back the work behind it until another device
 * signals; a presented primary is what the display shows; after a trim notification the UMD makes
 * resident again what it uses; bad input is refused in one message and changes nothing; closing a
 * device gives back everything it made.
 */
final class UmdDeviceChecks {
    private UmdDeviceChecks() {
    }

    static List<Check<UmdSession>> all() {
        return List.of(new Check<>("umd.fence", UmdDeviceChecks::fence), new Check<>("umd.present", UmdDeviceChecks::present),
                new Check<>("umd.trim", UmdDeviceChecks::trim), new Check<>("umd.refusal", UmdDeviceChecks::refusal),
                new Check<>("umd.close", UmdDeviceChecks::close));
    }

    /**
     * Device B waits on the GPU for A's fence, then copies a buffer the CPU writes only after B's
     * submission: B's copy must see the CPU's bytes (its work ran after the signal), and B's fence
     * must not complete before A signals.
     */
    static void fence(UmdSession s) {
        UmdDevice a = s.device();
        UmdDevice b = s.device();
        Fence fence = a.createFence();
        Resource x = b.createBuffer(4096, false);
        Resource y = b.createBuffer(4096, false);
        b.waitOnGpu(fence, 1);
        long copy = b.submit(b.createCommandList().copy(x, 0, y, 0, 4096));
        WaitResult early = b.waitForFence(copy, 100);
        require(early == WaitResult.TIMEOUT, "work after waitOnGpu(fence, 1) answered " + early
                + " before the fence was signalled");
        s.write(x.va(), Bytes.repeat((byte) 0x6B, 4096));
        a.signal(fence, 1);
        WaitResult done = b.waitForFence(copy, Session.WAIT_MILLIS);
        require(done == WaitResult.COMPLETED, "work after waitOnGpu(fence, 1) answered " + done + " after the signal");
        require(fence.completedValue() >= 1, "the fence's completed value is " + fence.completedValue() + " after signal 1");
        require(fence.waitFor(1, Session.WAIT_MILLIS) == WaitResult.COMPLETED, "a CPU wait for the signalled value");
        s.expect(y.va(), Bytes.repeat((byte) 0x6B, 4096), "the copy held back behind the GPU wait");
    }

    static void present(UmdSession s) {
        List<SurfaceMode> modes = s.adapter.displayModes();
        require(modes.size() == s.gpu.displayModes().size(), "the adapter reports " + modes.size() + " sources; the"
                + " hardware has " + s.gpu.displayModes().size());
        if (modes.isEmpty()) {
            return;
        }
        UmdDevice d = s.device();
        Resource primary = d.createPrimary(0);
        SurfaceMode m = modes.get(0);
        require(primary.width() == m.width() && primary.height() == m.height(), "createPrimary(0) made "
                + primary.width() + "x" + primary.height() + "; source 0 is " + m.width() + "x" + m.height());
        s.run(d, d.createCommandList().fillRect(primary, 0, 0, m.width(), m.height(), 0xFF204060)
                .fillRect(primary, 1, 2, 3, 4, 0xFFA0B0C0), "filling the primary");
        d.present(primary);
        ScanoutFrame frame = s.gpu.scanout(0);
        require(frame.errors().isEmpty(), "the display met errors: " + frame.errors());
        for (int y = 0; y < m.height(); y++) {
            for (int x = 0; x < m.width(); x++) {
                boolean in = x >= 1 && x < 4 && y >= 2 && y < 6;
                int expected = in ? 0xA0B0C0 : 0x204060;
                require(frame.pixel(x, y) == expected, "after present, source 0 shows 0x" + Integer.toHexString(frame.pixel(x, y))
                        + " at (" + x + "," + y + "), the primary has 0x" + Integer.toHexString(expected));
            }
        }
    }

    /**
     * The OS asks the process to trim (VidMm.trim: a trim notification, TrimToBudget, to its devices):
     * the UMD must evict idle memory (VidMm evicts nothing itself), and its next submission must make
     * resident again what it uses (under the windows fault policy the GPU faults on anything else;
     * under sva it would reach the memory anyway, through page requests, so the bytes alone cannot tell).
     */
    static void trim(UmdSession s) {
        UmdDevice d = s.device();
        Resource a = d.createBuffer(64 * 1024, false);
        Resource b = d.createBuffer(64 * 1024, false);
        s.run(d, d.createCommandList().fill(a, 0, 64 * 1024, 0x12345678), "a fill");
        require(resident(s, a), "a buffer the UMD submitted work on is not resident");
        long freed = s.vidmm.trim(s.pid, 0);
        require(freed > 0 && !resident(s, a), "the UMD did not trim on a trim notification (TrimToBudget): " + freed
                + " bytes freed, the idle buffer " + (resident(s, a) ? "still" : "not") + " resident");
        s.run(d, d.createCommandList().copy(a, 0, b, 0, 64 * 1024), "a copy after the trim");
        require(resident(s, a) && resident(s, b), "after a trim notification the UMD submitted work on allocation 0x"
                + Long.toHexString(resident(s, a) ? b.allocation() : a.allocation()) + " without making it resident again");
        s.expect(b.va(), Bytes.pattern(0x12345678, 64 * 1024), "the copy after the trim");
    }

    private static boolean resident(UmdSession s, Resource r) {
        return s.vidmm.allocations().stream().anyMatch(x -> x.handle() == r.allocation() && x.resident());
    }

    static void refusal(UmdSession s) {
        UmdDevice d = s.device();
        Resource buffer = d.createBuffer(4096, false);
        s.write(buffer.va(), Bytes.repeat((byte) 0x31, 4096));
        long before = allocations(s);
        CheckFailed.refused(() -> d.createBuffer(0, false), "createBuffer(0)");
        CheckFailed.refused(() -> d.createBuffer(-4096, false), "createBuffer(-4096)");
        CheckFailed.refused(() -> d.createTexture2D(0, 8, false), "createTexture2D(0, 8)");
        CheckFailed.refused(() -> d.createCommandList().copy(buffer, 0, buffer, 4000, 200), "a copy past the end of a buffer");
        CheckFailed.refused(() -> d.createCommandList().fill(buffer, -4, 8, 1), "a fill at a negative offset");
        CheckFailed.refused(() -> d.createPrimary(s.gpu.displayModes().size()), "createPrimary of source " + s.gpu.displayModes().size()
                + " (the adapter has " + s.gpu.displayModes().size() + ")");
        CheckFailed.refused(() -> d.updateTileMappings(d.createTiledResource(2), 1, 2, d.createTilePool(1), 0),
                "updateTileMappings past the end of the tiled resource");
        require(allocations(s) <= before + 2, "refused calls left allocations behind: " + (allocations(s) - before)
                + " more (the tiled resource and pool made 2 at most)");
        s.expect(buffer.va(), Bytes.repeat((byte) 0x31, 4096), "a refused command changed the buffer");
        s.run(d, d.createCommandList().fill(buffer, 0, 16, 0x01020304), "a fill after the refusals");
        s.expect(buffer.va(), Bytes.pattern(0x01020304, 16), "a fill after the refusals");
    }

    /** The kernel allocations of the check's process (other processes may allocate meanwhile). */
    private static long allocations(UmdSession s) {
        return s.vidmm.allocations().stream().filter(x -> x.pid() == s.pid).count();
    }

    static void close(UmdSession s) {
        UmdDevice d = s.device();
        d.createBuffer(64 * 1024, false);
        d.createTexture2D(32, 32, false);
        d.createTilePool(1);
        require(allocations(s) > 0, "the device's resources have no kernel allocation");
        d.close();
        long left = allocations(s);
        require(left == 0, "after close, " + left + " kernel allocations of the process remain");
        require(s.vidmm.processes().stream().noneMatch(p -> p.pid() == s.pid && !p.devices().isEmpty()),
                "after close, the process still has a kernel device");
        CheckFailed.refused(() -> d.createBuffer(4096, false), "createBuffer on a closed device");
    }
}
