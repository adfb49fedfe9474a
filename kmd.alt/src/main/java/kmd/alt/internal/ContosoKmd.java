package kmd.alt.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

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
 * Another vendor's driver for the simulated GPU 1234:1111. It differs from the reference driver where
 * VidMm and the shell can see it: segment layout (aperture segment 7, half the hardware aperture),
 * allocation alignment, and command encoding (copies and fills become one-row rectangles).
 */
@Component(service = KernelModeDriver.class, immediate = true,
        property = {KernelModeDriver.NAME + "=contoso", KernelModeDriver.MATCH_SCORE + ":Integer=1"})
public final class ContosoKmd implements KernelModeDriver, InterruptSink {
    static final int APERTURE_SEGMENT = 7;

    private final GpuAdapter gpu;
    private final AtomicLong handles = new AtomicLong(0xC000);
    /** hProcess -> PASID and hDevice -> PASID: all this driver needs to remember. */
    private final Map<Long, Integer> processes = new ConcurrentHashMap<>();
    private final Map<Long, Integer> devices = new ConcurrentHashMap<>();
    private volatile DxgkCallbacks callbacks;
    private volatile boolean exclusive;

    @Activate
    public ContosoKmd(@Reference(target = "(&(pci.vendor=4660)(pci.device=4369))") GpuAdapter gpu) {
        this.gpu = gpu;
    }

    @Override
    public AdapterInfo queryAdapterInfo() {
        long aperture = gpu.aperture().size() / 2;
        return new AdapterInfo("Contoso IoMmu KMD for " + gpu.identity(), new VidMmCaps(true, true, false, false, false),
                new DriverCaps(aperture), List.of(new SegmentDescriptor(1, "system memory", 0, true, false),
                        new SegmentDescriptor(APERTURE_SEGMENT, "Contoso GART window", aperture, true, true)));
    }

    @Override
    public void startDevice(DxgkCallbacks cb) {
        callbacks = cb;
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
        processes.put(h, pasid);
        return h;
    }

    @Override
    public void destroyProcess(long hProcess) {
        processes.remove(hProcess);
    }

    @Override
    public long createDevice(long hProcess, int ownerPasid) {
        Integer pasid = processes.get(hProcess);
        if (pasid == null || pasid != ownerPasid) {
            throw new IllegalArgumentException("Contoso: process 0x" + Long.toHexString(hProcess) + " with PASID " + ownerPasid
                    + " is unknown");
        }
        long h = handles.incrementAndGet();
        devices.put(h, ownerPasid);
        return h;
    }

    @Override
    public void destroyDevice(long hDevice) {
        devices.remove(hDevice);
    }

    @Override
    public AllocationDescription createAllocation(long hDevice, AllocationRequest request) {
        return new AllocationDescription((request.size() + 4095) & ~4095L, 65536, 1, request.flags());
    }

    @Override
    public void openAllocation(long hDevice, long hAllocation, long va, long size) {
        pasid(hDevice);
    }

    @Override
    public void closeAllocation(long hDevice, long hAllocation) {
    }

    @Override
    public void destroyAllocation(long hAllocation) {
    }

    private int pasid(long hDevice) {
        Integer pasid = devices.get(hDevice);
        if (pasid == null) {
            throw new IllegalArgumentException("Contoso: unknown device 0x" + Long.toHexString(hDevice));
        }
        return pasid;
    }

    private void requireAccess() {
        if (exclusive) {
            throw new IllegalStateException("Contoso: the hardware is held exclusively");
        }
    }

    @Override
    public void buildPagingBuffer(PagingOperation op, long fence) {
        requireAccess();
        if (op instanceof PagingOperation.MapApertureSegment m) {
            gpu.mapAperture(m.firstPage(), m.frames());
        } else if (op instanceof PagingOperation.UnmapApertureSegment u) {
            gpu.unmapAperture(u.firstPage(), u.pages());
        } else {
            GpuCommand c = op instanceof PagingOperation.Transfer t ? new GpuCommand.Copy(t.srcVa(), t.dstVa(), t.length())
                    : op instanceof PagingOperation.Fill f ? new GpuCommand.Fill(f.va(), f.length(), f.pattern())
                    : new GpuCommand.WriteFence(((PagingOperation.SignalMonitoredFence) op).fenceVa(),
                    ((PagingOperation.SignalMonitoredFence) op).value());
            gpu.submit(EngineType.COPY, new Submission(op.pasid(), 0, List.of(c), fence));
            return;
        }
        DxgkCallbacks cb = callbacks;
        if (cb != null) {
            cb.notifyInterrupt(new InterruptNotification.DmaCompleted(EngineNode.COPY, 0, fence));
        }
    }

    /** Contoso's encoding: linear copies and fills as one-row rectangles, when they fit one row. */
    static GpuCommand encode(DmaCommand c) {
        if (c instanceof DmaCommand.Copy x) {
            return x.length() <= Integer.MAX_VALUE
                    ? new GpuCommand.Blit(x.srcVa(), x.length(), x.dstVa(), x.length(), (int) x.length(), 1)
                    : new GpuCommand.Copy(x.srcVa(), x.dstVa(), x.length());
        }
        if (c instanceof DmaCommand.Fill x) {
            return x.length() <= Integer.MAX_VALUE && x.length() % 4 == 0
                    ? new GpuCommand.FillRect(x.dstVa(), x.length(), (int) x.length(), 1, x.pattern())
                    : new GpuCommand.Fill(x.dstVa(), x.length(), x.pattern());
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
    public void submitCommand(long hDevice, EngineNode node, List<DmaCommand> commands, long fenceValue) {
        requireAccess();
        List<GpuCommand> encoded = new ArrayList<>(commands.size());
        for (DmaCommand c : commands) {
            encoded.add(encode(c));
        }
        gpu.submit(node == EngineNode.COPY ? EngineType.COPY : EngineType.RENDER,
                new Submission(pasid(hDevice), hDevice, encoded, fenceValue));
    }

    @Override
    public List<VidPnSourceMode> queryVidPnSourceModes() {
        List<VidPnSourceMode> modes = new ArrayList<>();
        var hw = gpu.displayModes();
        for (int i = 0; i < hw.size(); i++) {
            modes.add(new VidPnSourceMode(i, hw.get(i).width(), hw.get(i).height(), hw.get(i).pitch()));
        }
        return modes;
    }

    @Override
    public void setVidPnSourceAddress(int sourceId, int segmentId, long offset) {
        if (segmentId != 0 && segmentId != APERTURE_SEGMENT) {
            throw new IllegalArgumentException("Contoso: segment " + segmentId + " is not the GART window " + APERTURE_SEGMENT);
        }
        gpu.setScanoutAddress(sourceId, segmentId == 0 ? 0 : gpu.aperture().baseAddress() + offset);
    }

    @Override
    public void resetEngine(EngineNode node) {
        gpu.resetEngine(node == EngineNode.COPY ? EngineType.COPY : EngineType.RENDER);
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
    public void interrupt(Interrupt interrupt) {
        DxgkCallbacks cb = callbacks;
        if (cb == null) {
            return;
        }
        if (interrupt instanceof Interrupt.DmaCompleted c) {
            cb.notifyInterrupt(new InterruptNotification.DmaCompleted(
                    c.engine() == EngineType.COPY ? EngineNode.COPY : EngineNode.RENDER, c.contextId(), c.fenceValue()));
        } else {
            Interrupt.DmaPageFaulted f = (Interrupt.DmaPageFaulted) interrupt;
            cb.notifyInterrupt(new InterruptNotification.DmaPageFaulted(
                    f.engine() == EngineType.COPY ? EngineNode.COPY : EngineNode.RENDER, f.contextId(), f.fenceValue(),
                    f.faultedVa(), f.pasid(), f.access() == Access.WRITE, f.kind().name(), f.iommuFault()));
        }
    }
}
