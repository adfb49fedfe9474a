package example.kmd;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import gpu.hw.EngineType;
import gpu.hw.GpuAdapter;
import kmd.api.AdapterInfo;
import kmd.api.AllocationDescription;
import kmd.api.AllocationRequest;
import kmd.api.DriverCaps;
import kmd.api.EngineNode;
import kmd.api.SegmentDescriptor;
import kmd.api.VidMmCaps;
import kmd.sdk.AdapterContext;

/**
 * The example driver's context on one adapter, as a template: {@link AdapterContext} (kmd.sdk) does
 * the hardware programming every driver of the simulated GPU shares; this class keeps what is its
 * own: adapter info, process and device handles with their PASIDs, allocation descriptions. Every
 * GPU command runs on the render engine.
 */
final class ExampleKmd extends AdapterContext {
    private static final int APERTURE = 2;

    private final AtomicLong handles = new AtomicLong(0xE000);
    private final Map<Long, Integer> pasids = new ConcurrentHashMap<>(); // process and device handles -> PASID

    ExampleKmd(GpuAdapter gpu) {
        super("example", gpu, APERTURE);
    }

    @Override
    public AdapterInfo queryAdapterInfo() {
        return new AdapterInfo("Example Corp KMD", new VidMmCaps(true, true, false, false, false),
                new DriverCaps(gpu.aperture().size()), List.of(new SegmentDescriptor(1, "system", 0, true, false),
                        new SegmentDescriptor(APERTURE, "aperture", gpu.aperture().size(), true, true)));
    }

    @Override
    protected void forget() {
        pasids.clear();
    }

    @Override
    protected EngineType engineFor(EngineNode node) {
        return EngineType.RENDER;
    }

    @Override
    public long createProcess(int pid, int[] processPasids) {
        long h = handles.incrementAndGet();
        pasids.put(h, processPasids[0]);
        return h;
    }

    @Override
    public void destroyProcess(long hProcess) {
        pasids.remove(hProcess);
    }

    @Override
    public long createDevice(long hProcess, int ownerPasid) {
        long h = handles.incrementAndGet();
        pasids.put(h, ownerPasid);
        return h;
    }

    @Override
    public void destroyDevice(long hDevice) {
        pasids.remove(hDevice);
    }

    @Override
    protected int devicePasid(long hDevice) {
        Integer pasid = pasids.get(hDevice);
        if (pasid == null) {
            throw new IllegalArgumentException("example: unknown device 0x" + Long.toHexString(hDevice));
        }
        return pasid;
    }

    @Override
    public AllocationDescription createAllocation(long hDevice, AllocationRequest request) {
        return new AllocationDescription((request.size() + 4095) & ~4095L, 4096, 1, request.flags());
    }

    @Override
    public void openAllocation(long hDevice, long hAllocation, long va, long size) {
    }

    @Override
    public void closeAllocation(long hDevice, long hAllocation) {
    }

    @Override
    public void destroyAllocation(long hAllocation) {
    }
}
