package kmd.reference.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import gpu.hw.GpuAdapter;
import kmd.api.AdapterInfo;
import kmd.api.AllocationDescription;
import kmd.api.AllocationRequest;
import kmd.api.DriverCaps;
import kmd.api.SegmentDescriptor;
import kmd.api.VidMmCaps;
import kmd.sdk.AdapterContext;

/**
 * The reference driver's context on one adapter: DDI calls become hardware programming (engine queues
 * tagged with the device's PASID, fences reported by interrupts), the rest is {@link AdapterContext}'s.
 */
public final class ReferenceKmd extends AdapterContext {
    /** Driver handles: processes, devices and allocations it knows, for diagnostics. */
    record DeviceState(long hDevice, long hProcess, int pasid, Map<Long, long[]> allocations) {
    }

    record ProcessState(long hProcess, int pid, int[] pasids) {
    }

    static final int APERTURE_SEGMENT = 2;

    private final VidMmCaps caps;
    private final long apertureSegmentCommitLimit;
    private final AtomicLong handles = new AtomicLong(0x1000);
    private final Map<Long, ProcessState> processes = new ConcurrentHashMap<>();
    private final Map<Long, DeviceState> devices = new ConcurrentHashMap<>();

    /** A context for {@code gpu} that reports {@code caps}. */
    public ReferenceKmd(GpuAdapter gpu, VidMmCaps caps, long apertureSegmentCommitLimit) {
        super("reference", gpu, APERTURE_SEGMENT);
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
        processes.clear();
        devices.clear();
    }

    @Override
    public long createProcess(int pid, int[] pasids) {
        if (pasids == null || pasids.length == 0) {
            throw new IllegalArgumentException("CreateProcess needs at least one PASID");
        }
        long h = handles.incrementAndGet();
        processes.put(h, new ProcessState(h, pid, pasids.clone()));
        return h;
    }

    @Override
    public void destroyProcess(long hProcess) {
        if (processes.remove(hProcess) == null) {
            throw new IllegalArgumentException("unknown process handle 0x" + Long.toHexString(hProcess));
        }
    }

    @Override
    public long createDevice(long hProcess, int ownerPasid) {
        ProcessState p = processes.get(hProcess);
        if (p == null) {
            throw new IllegalArgumentException("unknown process handle 0x" + Long.toHexString(hProcess));
        }
        if (Arrays.stream(p.pasids()).noneMatch(x -> x == ownerPasid)) {
            throw new IllegalArgumentException("device PASID " + ownerPasid + " is not one of its process's PASIDs "
                    + Arrays.toString(p.pasids()));
        }
        long h = handles.incrementAndGet();
        devices.put(h, new DeviceState(h, hProcess, ownerPasid, new ConcurrentHashMap<>()));
        return h;
    }

    @Override
    public void destroyDevice(long hDevice) {
        if (devices.remove(hDevice) == null) {
            throw new IllegalArgumentException("unknown device handle 0x" + Long.toHexString(hDevice));
        }
    }

    private DeviceState device(long hDevice) {
        DeviceState d = devices.get(hDevice);
        if (d == null) {
            throw new IllegalArgumentException("unknown device handle 0x" + Long.toHexString(hDevice));
        }
        return d;
    }

    @Override
    protected int devicePasid(long hDevice) {
        return device(hDevice).pasid();
    }

    @Override
    public AllocationDescription createAllocation(long hDevice, AllocationRequest request) {
        device(hDevice);
        long size = (request.size() + 4095) & ~4095L;
        return new AllocationDescription(size, 4096, 1, request.flags());
    }

    @Override
    public void openAllocation(long hDevice, long hAllocation, long va, long size) {
        device(hDevice).allocations().put(hAllocation, new long[] {va, size});
    }

    @Override
    public void closeAllocation(long hDevice, long hAllocation) {
        device(hDevice).allocations().remove(hAllocation);
    }

    @Override
    public void destroyAllocation(long hAllocation) {
        for (DeviceState d : devices.values()) {
            d.allocations().remove(hAllocation);
        }
    }

    /** "pid:pasid" of every process the driver was told about (its first PASID; for tests). */
    public java.util.Set<String> processesForTest() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        processes.values().forEach(p -> out.add(p.pid() + ":" + p.pasids()[0]));
        return out;
    }

    /** For {@code kmd:info}: the processes and devices the driver was told about. */
    List<ProcessState> processes() {
        return new ArrayList<>(processes.values());
    }

    List<DeviceState> devices() {
        return new ArrayList<>(devices.values());
    }
}
