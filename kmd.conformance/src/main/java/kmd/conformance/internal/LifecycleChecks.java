package kmd.conformance.internal;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import kmd.api.AdapterInfo;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.SegmentDescriptor;
import kmd.api.VidMmCaps;

import static kmd.conformance.internal.CheckFailed.require;

/** What QueryAdapterInfo reports, and StartDevice / StopDevice on the hardware. */
final class LifecycleChecks {
    private LifecycleChecks() {
    }

    static List<Check<Session>> all() {
        return List.of(new Check<>("caps", LifecycleChecks::caps), new Check<>("start-stop", LifecycleChecks::startStop));
    }

    /** VirtualAddressingSupported with IoMmuSupported, segments with unique ids, one aperture segment that fits the hardware's. */
    static void caps(Session s) {
        AdapterInfo info = s.info();
        require(info != null, "QueryAdapterInfo returned nothing");
        VidMmCaps caps = info.vidMmCaps();
        require(caps != null && info.driverCaps() != null, "QueryAdapterInfo returned no VIDMMCAPS or DRIVERCAPS");
        require(caps.virtualAddressingSupported(), "VirtualAddressingSupported is not set");
        require(caps.ioMmuSupported(), "IoMmuSupported is not set");
        require(!caps.gpuMmuSupported(), "GpuMmuSupported is set on an IoMmu-only GPU");
        require(!caps.ioMmuSecureModeRequired() || caps.ioMmuSecureModeSupported(),
                "IoMmuSecureModeRequired without IoMmuSecureModeSupported");
        Set<Integer> ids = new HashSet<>();
        int apertures = 0;
        for (SegmentDescriptor d : info.segments()) {
            require(d.id() > 0, "segment \"" + d.name() + "\" has id " + d.id() + "; ids start at 1");
            require(ids.add(d.id()), "two segments have id " + d.id());
            if (d.apertureSegment()) {
                apertures++;
                long hw = s.gpu.aperture().size();
                require(d.size() > 0 && d.size() % 4096 == 0 && d.size() <= hw, "aperture segment " + d.id() + " is "
                        + d.size() + " bytes; it must be whole pages within the hardware aperture of " + hw);
            }
        }
        require(apertures == 1, "QueryAdapterInfo reports " + apertures + " aperture segments; exactly one is expected");
        require(ids.size() > apertures, "QueryAdapterInfo reports no memory segment besides the aperture");
        long limit = info.driverCaps().apertureSegmentCommitLimit();
        require(limit > 0 && limit <= s.apertureSegment().size(), "ApertureSegmentCommitLimit " + limit
                + " is not within 1.." + s.apertureSegment().size());
    }

    /** StartDevice takes the adapter's interrupts, StopDevice gives them back, and a new context then works. */
    static void startStop(Session s) {
        require(s.gpu.attachedDriver() != null, "after StartDevice the adapter has no interrupt sink attached");
        s.restart();
        require(s.gpu.attachedDriver() != null, "after StopDevice, RemoveDevice, AddDevice and StartDevice the adapter"
                + " has no interrupt sink attached");
        KitProcess p = s.process();
        KitProcess.Context c = p.device().context(EngineNode.RENDER, 0);
        long va = p.buffer(4096, (byte) 0);
        c.run(new DmaCommand.Fill(va, 4096, 0x5A5A5A5A), "a fill after a restart");
        Bytes.expect(p, va, Bytes.pattern(0x5A5A5A5A, 4096), "a fill after a restart");
        s.kmd().stopDevice();
        require(s.gpu.attachedDriver() == null, "after StopDevice the adapter still delivers interrupts to "
                + s.gpu.attachedDriver());
    }
}
