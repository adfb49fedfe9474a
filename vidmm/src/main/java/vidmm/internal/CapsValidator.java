package vidmm.internal;

import kmd.api.AdapterInfo;
import kmd.api.VidMmCaps;

/** The rules VidMm applies to a driver's caps before it starts the adapter. */
final class CapsValidator {
    private CapsValidator() {
    }

    /** Why the adapter cannot start with {@code info}, or {@code null} if it can (in the IoMmu model). */
    static String refusal(AdapterInfo info) {
        if (info == null || info.vidMmCaps() == null || info.driverCaps() == null) {
            return "QueryAdapterInfo returned no VIDMMCAPS or DRIVERCAPS";
        }
        VidMmCaps c = info.vidMmCaps();
        if (!c.virtualAddressingSupported()) {
            return "VirtualAddressingSupported is not set: this model serves only GPU virtual addressing";
        }
        if (c.ioMmuSupported() == c.gpuMmuSupported()) {
            return "exactly one of IoMmuSupported and GpuMmuSupported must be set, not "
                    + (c.ioMmuSupported() ? "both" : "neither");
        }
        if (c.gpuMmuSupported()) {
            return "GpuMmuSupported: the GpuMmu model is not modelled here; only IoMmuSupported drivers can start";
        }
        if (c.ioMmuSecureModeRequired() && !c.ioMmuSecureModeSupported()) {
            return "IoMmuSecureModeRequired is set but IoMmuSecureModeSupported is not";
        }
        if (info.driverCaps().apertureSegmentCommitLimit() < 0) {
            return "ApertureSegmentCommitLimit is negative: " + info.driverCaps().apertureSegmentCommitLimit();
        }
        return null;
    }
}
