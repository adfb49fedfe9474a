package example.kmd;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import gpu.hw.EngineType;
import gpu.hw.GpuAdapter;
import gpu.hw.GpuCommand;
import gpu.hw.Interrupt;
import gpu.hw.InterruptSink;
import gpu.hw.Submission;
import iommu.hw.Access;
import kmd.api.AdapterInfo;
import kmd.api.AllocationDescription;
import kmd.api.AllocationRequest;
import kmd.api.DmaCommand;
import kmd.api.DriverCaps;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.PagingOperation;
import kmd.api.SegmentDescriptor;
import kmd.api.VidMmCaps;
import kmd.api.VidPnSourceMode;
import kmd.api.callbacks.DxgkCallbacks;
import kmd.api.callbacks.InterruptNotification;

/**
 * A complete, minimal vendor KMD, as a template: one component, the DDIs of {@link KernelModeDriver},
 * the hardware programmed through {@link GpuAdapter}. Every GPU command runs on the render engine.
 */
@Component(service = KernelModeDriver.class, immediate = true,
        property = {KernelModeDriver.NAME + "=example", KernelModeDriver.MATCH_SCORE + ":Integer=3"})
public final class ExampleKmd implements KernelModeDriver {
    private static final int APERTURE = 2;

    private final GpuAdapter gpu;
    private final AtomicLong handles = new AtomicLong(0xE000);
    private final Map<Long, Integer> pasids = new ConcurrentHashMap<>(); // process and device handles -> PASID
    private final InterruptSink sink = this::interrupt;
    private volatile DxgkCallbacks callbacks;
    private volatile boolean exclusive;

    @Activate
    public ExampleKmd(@Reference(target = "(&(pci.vendor=4660)(pci.device=4369))") GpuAdapter gpu) {
        this.gpu = gpu;
    }

    @Override
    public AdapterInfo queryAdapterInfo() {
        return new AdapterInfo("Example Corp KMD", new VidMmCaps(true, true, false, false, false),
                new DriverCaps(gpu.aperture().size()), List.of(new SegmentDescriptor(1, "system", 0, true, false),
                        new SegmentDescriptor(APERTURE, "aperture", gpu.aperture().size(), true, true)));
    }

    @Override
    public void startDevice(DxgkCallbacks cb) {
        callbacks = cb;
        gpu.attach(sink);
    }

    @Override
    public void stopDevice() {
        gpu.detach(sink);
        callbacks = null;
        pasids.clear();
        exclusive = false;
    }

    @Override
    public long createProcess(int pid, int pasid) {
        long h = handles.incrementAndGet();
        pasids.put(h, pasid);
        return h;
    }

    @Override
    public void destroyProcess(long hProcess) {
        pasids.remove(hProcess);
    }

    @Override
    public long createDevice(long hProcess, int ownerPasid) {
        return createProcess(0, ownerPasid);
    }

    @Override
    public void destroyDevice(long hDevice) {
        pasids.remove(hDevice);
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

    @Override
    public void buildPagingBuffer(PagingOperation op, long fence) {
        if (exclusive) {
            throw new IllegalStateException("example: exclusive access");
        }
        if (op instanceof PagingOperation.MapApertureSegment m) {
            gpu.mapAperture(m.firstPage(), m.frames());
        } else if (op instanceof PagingOperation.UnmapApertureSegment u) {
            gpu.unmapAperture(u.firstPage(), u.pages());
        } else {
            throw new UnsupportedOperationException("example: paging operation " + op + " is not implemented");
        }
        DxgkCallbacks cb = callbacks;
        if (cb != null) {
            cb.notifyInterrupt(new InterruptNotification.DmaCompleted(EngineNode.COPY, 0, fence));
        }
    }

    @Override
    public void submitCommand(long hDevice, EngineNode node, List<DmaCommand> commands, long fenceValue) {
        Integer pasid = pasids.get(hDevice);
        if (pasid == null || exclusive) {
            throw new IllegalStateException("example: device 0x" + Long.toHexString(hDevice) + " cannot submit now");
        }
        List<GpuCommand> encoded = commands.stream().map(ExampleKmd::encode).toList();
        gpu.submit(EngineType.RENDER, new Submission(pasid, hDevice, encoded, fenceValue));
    }

    private static GpuCommand encode(DmaCommand c) {
        if (c instanceof DmaCommand.Copy x) {
            return new GpuCommand.Copy(x.srcVa(), x.dstVa(), x.length());
        }
        if (c instanceof DmaCommand.Fill x) {
            return new GpuCommand.Fill(x.dstVa(), x.length(), x.pattern());
        }
        if (c instanceof DmaCommand.FillRect x) {
            return new GpuCommand.FillRect(x.dstVa(), x.pitch(), x.widthBytes(), x.height(), x.pattern());
        }
        if (c instanceof DmaCommand.WriteFence x) {
            return new GpuCommand.WriteFence(x.va(), x.value());
        }
        DmaCommand.Blit x = (DmaCommand.Blit) c;
        return new GpuCommand.Blit(x.srcVa(), x.srcPitch(), x.dstVa(), x.dstPitch(), x.widthBytes(), x.height());
    }

    @Override
    public List<VidPnSourceMode> queryVidPnSourceModes() {
        var modes = gpu.displayModes();
        return IntStream.range(0, modes.size())
                .mapToObj(i -> new VidPnSourceMode(i, modes.get(i).width(), modes.get(i).height(), modes.get(i).pitch()))
                .toList();
    }

    @Override
    public void setVidPnSourceAddress(int sourceId, int segmentId, long offset) {
        gpu.setScanoutAddress(sourceId, segmentId == 0 ? 0 : gpu.aperture().baseAddress() + offset);
    }

    @Override
    public void resetEngine(EngineNode node) {
        gpu.resetEngine(EngineType.RENDER);
    }

    @Override
    public void beginExclusiveAccess() {
        exclusive = true;
    }

    @Override
    public void endExclusiveAccess() {
        exclusive = false;
    }

    private void interrupt(Interrupt i) {
        DxgkCallbacks cb = callbacks;
        if (cb == null) {
            return;
        }
        EngineNode node = i.engine() == EngineType.COPY ? EngineNode.COPY : EngineNode.RENDER;
        if (i instanceof Interrupt.DmaPageFaulted f) {
            cb.notifyInterrupt(new InterruptNotification.DmaPageFaulted(node, f.contextId(), f.fenceValue(), f.faultedVa(),
                    f.pasid(), f.access() == Access.WRITE, f.kind().name(), f.iommuFault()));
        } else {
            Interrupt.DmaCompleted c = (Interrupt.DmaCompleted) i;
            cb.notifyInterrupt(new InterruptNotification.DmaCompleted(node, c.contextId(), c.fenceValue()));
        }
    }
}
