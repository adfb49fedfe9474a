package ${package};

import java.util.List;

import gpu.hw.GpuAdapter;
import kmd.api.AdapterInfo;
import kmd.api.DriverCaps;
import kmd.api.SegmentDescriptor;
import kmd.api.VidMmCaps;
import kmd.sdk.AdapterContext;

/**
 * The driver's context on one adapter. {@link AdapterContext} (kmd.sdk) does what every driver of the
 * simulated GPU does the same way (hardware programming, interrupts, process, device and context
 * handles, allocation descriptions, command buffers); this class keeps what is the driver's own: its
 * adapter info (DXGKQAITYPE_DRIVERCAPS, the segments), and may override the rest (which engine runs a
 * node, how a command is encoded).
 */
final class VendorKmd extends AdapterContext {
    /** The aperture segment's id (segment 1 is system memory). */
    private static final int APERTURE = 2;

    VendorKmd(GpuAdapter gpu) {
        super(VendorDriver.NAME, gpu, APERTURE, 0xE000); // the driver's own handles count up from 0xE000
    }

    @Override
    public AdapterInfo queryAdapterInfo() {
        return new AdapterInfo("${vendorName} KMD", new VidMmCaps(true, true, false, false, false),
                new DriverCaps(gpu.aperture().size()), List.of(new SegmentDescriptor(1, "system", 0, true, false),
                        new SegmentDescriptor(APERTURE, "aperture", gpu.aperture().size(), true, true)));
    }
}
