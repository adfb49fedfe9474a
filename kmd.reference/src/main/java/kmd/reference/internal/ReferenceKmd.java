package kmd.reference.internal;

import java.util.List;

import gpu.hw.GpuAdapter;
import kmd.api.AdapterInfo;
import kmd.api.DriverCaps;
import kmd.api.SegmentDescriptor;
import kmd.api.VidMmCaps;
import kmd.sdk.AdapterContext;
import kmd.sdk.DriverHandles;

/**
 * The reference driver's context on one adapter: DDI calls become hardware programming (engine queues
 * tagged with the device's PASID, fences reported by interrupts), through {@link AdapterContext}, whose
 * handles also count the allocations each device opened, for {@code kmd:info}.
 */
public final class ReferenceKmd extends AdapterContext {
    static final int APERTURE_SEGMENT = 2;

    private final VidMmCaps caps;
    private final long apertureSegmentCommitLimit;

    /** A context for {@code gpu} that reports {@code caps}. */
    ReferenceKmd(GpuAdapter gpu, VidMmCaps caps, long apertureSegmentCommitLimit) {
        super("reference", gpu, APERTURE_SEGMENT, 0x1000);
        this.caps = caps;
        this.apertureSegmentCommitLimit = apertureSegmentCommitLimit;
    }

    @Override
    public AdapterInfo queryAdapterInfo() {
        return new AdapterInfo("reference KMD for " + gpu.identity(), caps,
                new DriverCaps(apertureSegmentCommitLimit),
                List.of(new SegmentDescriptor(1, "system memory (IoMmu, shared VA)", 0, true, false),
                        new SegmentDescriptor(APERTURE_SEGMENT, "aperture", gpu.aperture().size(), true, true)));
    }

    /** "pid:pasid" of every process the driver was told about, its PASIDs comma separated (for tests). */
    public java.util.Set<String> processesForTest() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        handles.processes().forEach(p -> out.add(p.pid() + ":" + java.util.Arrays.stream(p.pasids())
                .mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(","))));
        return out;
    }

    /** For {@code kmd:info}: the processes and devices the driver was told about. */
    List<DriverHandles.Process> processes() {
        return handles.processes();
    }

    List<DriverHandles.Device> devices() {
        return handles.devices();
    }

    /** How many allocations {@code hDevice} has open. */
    int openedBy(long hDevice) {
        return handles.openedBy(hDevice);
    }
}
