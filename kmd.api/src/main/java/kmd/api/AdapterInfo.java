package kmd.api;

import java.util.List;

/** What DxgkDdiQueryAdapterInfo reports. */
public record AdapterInfo(String driverName, VidMmCaps vidMmCaps, DriverCaps driverCaps,
                          List<SegmentDescriptor> segments) {
    public AdapterInfo {
        segments = List.copyOf(segments);
    }
}
