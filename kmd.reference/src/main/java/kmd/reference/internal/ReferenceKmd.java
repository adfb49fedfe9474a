package kmd.reference.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

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
 * The reference driver: binds the GPU with PCI id 1234:1111 and translates DDI calls into hardware
 * programming: engine queues tagged with the device's PASID, fences reported by interrupts.
 */
@Component(service = {KernelModeDriver.class, ReferenceKmd.class}, configurationPid = ReferenceKmdConfig.PID, immediate = true,
        property = {"kmd.name=reference", "kmd.pci.vendor:Integer=4660", "kmd.pci.device:Integer=4369",
                KernelModeDriver.MATCH_SCORE + ":Integer=2"})
@Designate(ocd = ReferenceKmdConfig.class)
public final class ReferenceKmd implements KernelModeDriver, InterruptSink {
    /** Driver handles: processes, devices and allocations it knows, for diagnostics. */
    record DeviceState(long hDevice, long hProcess, int pasid, Map<Long, long[]> allocations) {
    }

    record ProcessState(long hProcess, int pid, int pasid) {
    }

    static final int APERTURE_SEGMENT = 2;

    private final GpuAdapter gpu;
    private final VidMmCaps caps;
    private final long apertureSegmentCommitLimit;
    private final AtomicLong handles = new AtomicLong(0x1000);
    private final Map<Long, ProcessState> processes = new ConcurrentHashMap<>();
    private final Map<Long, DeviceState> devices = new ConcurrentHashMap<>();
    private volatile DxgkCallbacks callbacks;
    private volatile boolean exclusive;

    @Activate
    public ReferenceKmd(@Reference(target = "(&(pci.vendor=4660)(pci.device=4369))") GpuAdapter gpu,
                        ReferenceKmdConfig config) {
        this(gpu, new VidMmCaps(config.virtualAddressingSupported(), config.ioMmuSupported(), config.gpuMmuSupported(),
                config.ioMmuSecureModeSupported(), config.ioMmuSecureModeRequired()), config.apertureSegmentCommitLimit());
    }

    /** A driver for {@code gpu} that reports {@code caps}. */
    public ReferenceKmd(GpuAdapter gpu, VidMmCaps caps, long apertureSegmentCommitLimit) {
        this.gpu = gpu;
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
    public void startDevice(DxgkCallbacks cb) {
        this.callbacks = java.util.Objects.requireNonNull(cb, "callbacks");
        gpu.attach(this);
    }

    @Override
    public void stopDevice() {
        gpu.detach(this);
        callbacks = null;
        processes.clear();
        devices.clear();
        exclusive = false;
    }

    @Override
    public long createProcess(int pid, int pasid) {
        long h = handles.incrementAndGet();
        processes.put(h, new ProcessState(h, pid, pasid));
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
        if (p.pasid() != ownerPasid) {
            throw new IllegalArgumentException("device PASID " + ownerPasid + " is not its process's PASID " + p.pasid());
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

    private void requireAccess(String ddi) {
        if (exclusive) {
            throw new IllegalStateException(ddi + " during exclusive access");
        }
    }

    @Override
    public void beginExclusiveAccess() {
        exclusive = true;
    }

    @Override
    public void endExclusiveAccess() {
        exclusive = false;
    }

    @Override
    public void buildPagingBuffer(PagingOperation op, long pagingFenceValue) {
        requireAccess("BuildPagingBuffer");
        if (op instanceof PagingOperation.MapApertureSegment m) {
            checkAperture(m.segmentId());
            gpu.mapAperture(m.firstPage(), m.frames());
            pagingDone(pagingFenceValue);
            return;
        }
        if (op instanceof PagingOperation.UnmapApertureSegment u) {
            checkAperture(u.segmentId());
            gpu.unmapAperture(u.firstPage(), u.pages());
            pagingDone(pagingFenceValue);
            return;
        }
        GpuCommand command;
        if (op instanceof PagingOperation.Transfer t) {
            command = new GpuCommand.Copy(t.srcVa(), t.dstVa(), t.length());
        } else if (op instanceof PagingOperation.Fill f) {
            command = new GpuCommand.Fill(f.va(), f.length(), f.pattern());
        } else {
            PagingOperation.SignalMonitoredFence s = (PagingOperation.SignalMonitoredFence) op;
            command = new GpuCommand.WriteFence(s.fenceVa(), s.value());
        }
        gpu.submit(EngineType.COPY, new Submission(op.pasid(), 0, List.of(command), pagingFenceValue));
    }

    private static void checkAperture(int segmentId) {
        if (segmentId != APERTURE_SEGMENT) {
            throw new IllegalArgumentException("segment " + segmentId + " is not the aperture segment " + APERTURE_SEGMENT);
        }
    }

    /** GART writes take effect at once; the paging fence completes as soon as they are done. */
    private void pagingDone(long fence) {
        DxgkCallbacks cb = callbacks;
        if (cb != null) {
            cb.notifyInterrupt(new InterruptNotification.DmaCompleted(EngineNode.COPY, 0, fence));
        }
    }

    @Override
    public List<VidPnSourceMode> queryVidPnSourceModes() {
        List<VidPnSourceMode> modes = new ArrayList<>();
        List<gpu.hw.DisplayMode> hw = gpu.displayModes();
        for (int i = 0; i < hw.size(); i++) {
            modes.add(new VidPnSourceMode(i, hw.get(i).width(), hw.get(i).height(), hw.get(i).pitch()));
        }
        return modes;
    }

    @Override
    public void setVidPnSourceAddress(int sourceId, int segmentId, long offset) {
        if (segmentId == 0) {
            gpu.setScanoutAddress(sourceId, 0);
            return;
        }
        checkAperture(segmentId);
        gpu.setScanoutAddress(sourceId, gpu.aperture().baseAddress() + offset);
    }

    @Override
    public void submitCommand(long hDevice, EngineNode node, List<DmaCommand> commands, long fenceValue) {
        requireAccess("SubmitCommand");
        DeviceState d = device(hDevice);
        List<GpuCommand> encoded = new ArrayList<>(commands.size());
        for (DmaCommand c : commands) {
            encoded.add(encode(c));
        }
        gpu.submit(engine(node), new Submission(d.pasid(), hDevice, encoded, fenceValue));
    }

    static GpuCommand encode(DmaCommand c) {
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

    private static EngineType engine(EngineNode node) {
        return node == EngineNode.COPY ? EngineType.COPY : EngineType.RENDER;
    }

    private static EngineNode node(EngineType engine) {
        return engine == EngineType.COPY ? EngineNode.COPY : EngineNode.RENDER;
    }

    @Override
    public void resetEngine(EngineNode node) {
        gpu.resetEngine(engine(node));
    }

    @Override
    public void interrupt(Interrupt interrupt) {
        DxgkCallbacks cb = callbacks;
        if (cb == null) {
            return;
        }
        if (interrupt instanceof Interrupt.DmaCompleted c) {
            cb.notifyInterrupt(new InterruptNotification.DmaCompleted(node(c.engine()), c.contextId(), c.fenceValue()));
        } else {
            Interrupt.DmaPageFaulted f = (Interrupt.DmaPageFaulted) interrupt;
            cb.notifyInterrupt(new InterruptNotification.DmaPageFaulted(node(f.engine()), f.contextId(), f.fenceValue(),
                    f.faultedVa(), f.pasid(), f.access() == Access.WRITE, f.kind().name(), f.iommuFault()));
        }
    }

    /** "pid:pasid" of every process the driver was told about (for tests). */
    public java.util.Set<String> processesForTest() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        processes.values().forEach(p -> out.add(p.pid() + ":" + p.pasid()));
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
