package kmd.reference.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import gpu.hw.GpuAdapter;
import kmd.api.AdapterInfo;
import kmd.api.DriverCaps;
import kmd.api.SegmentDescriptor;
import kmd.api.VidMmCaps;
import kmd.sdk.AdapterContext;
import kmd.sdk.DriverHandles;

/**
 * The reference driver's context on one adapter: DDI calls become hardware programming (engine queues
 * tagged with the device's PASID, fences reported by interrupts), through {@link AdapterContext}; it
 * also remembers which allocations each device opened, for {@code kmd:info}.
 */
public final class ReferenceKmd extends AdapterContext {
    static final int APERTURE_SEGMENT = 2;

    private final VidMmCaps caps;
    private final long apertureSegmentCommitLimit;
    /** hDevice -> hAllocation -> {va, size} of what the device opened. */
    private final Map<Long, Map<Long, long[]>> opened = new ConcurrentHashMap<>();
    /** hAllocation -> the devices that opened it: DestroyAllocation finds them without a scan of every device. */
    private final Map<Long, java.util.Set<Long>> openers = new ConcurrentHashMap<>();

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

    @Override
    protected void forget() {
        opened.clear();
        openers.clear();
    }

    @Override
    public void destroyDevice(long hDevice) {
        super.destroyDevice(hDevice);
        Map<Long, long[]> of = opened.remove(hDevice);
        if (of != null) {
            of.keySet().forEach(hAllocation -> closed(hDevice, hAllocation));
        }
    }

    /** {@code hDevice} no longer has {@code hAllocation} open. */
    private void closed(long hDevice, long hAllocation) {
        openers.computeIfPresent(hAllocation, (h, devices) -> {
            devices.remove(hDevice);
            return devices.isEmpty() ? null : devices;
        });
    }

    @Override
    public void openAllocation(long hDevice, long hAllocation, long va, long size) {
        handles.device(hDevice);
        opened.computeIfAbsent(hDevice, d -> new ConcurrentHashMap<>()).put(hAllocation, new long[] {va, size});
        openers.computeIfAbsent(hAllocation, h -> ConcurrentHashMap.newKeySet()).add(hDevice);
    }

    @Override
    public void closeAllocation(long hDevice, long hAllocation) {
        handles.device(hDevice);
        Map<Long, long[]> of = opened.get(hDevice);
        if (of != null) {
            of.remove(hAllocation);
        }
        closed(hDevice, hAllocation);
    }

    @Override
    public void destroyAllocation(long hAllocation) {
        java.util.Set<Long> devices = openers.remove(hAllocation); // still open somewhere: closed with it
        if (devices != null) {
            for (long hDevice : devices) {
                Map<Long, long[]> of = opened.get(hDevice);
                if (of != null) {
                    of.remove(hAllocation);
                }
            }
        }
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
        Map<Long, long[]> of = opened.get(hDevice);
        return of == null ? 0 : of.size();
    }
}
