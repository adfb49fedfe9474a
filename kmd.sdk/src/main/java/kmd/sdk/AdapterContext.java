package kmd.sdk;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import gpu.hw.BufferSubmission;
import gpu.hw.EngineType;
import gpu.hw.GpuAdapter;
import gpu.hw.GpuCommand;
import gpu.hw.Interrupt;
import gpu.hw.InterruptSink;
import gpu.hw.Submission;
import kmd.api.AllocationDescription;
import kmd.api.AllocationFlag;
import kmd.api.AllocationRequest;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.PagingOperation;
import kmd.api.VidPnSourceMode;
import kmd.api.callbacks.DxgkCallbacks;
import kmd.api.callbacks.InterruptNotification;

/**
 * A base for a driver's context on one adapter: what every driver of the simulated GPU does the same
 * way. It keeps the callbacks and delivers the adapter's interrupts to them, refuses work during
 * exclusive access, runs paging operations (aperture maps at once, the rest on the copy engine),
 * reports the video present sources, points them at the aperture segment, resets engines, and keeps
 * process, device and context handles with their PASIDs ({@link DriverHandles}), and describes allocations as
 * whole pages aligned to 4 KiB in segment 1. A driver implements the rest: its adapter info, and what
 * it does differently.
 */
public abstract class AdapterContext implements KernelModeDriver, InterruptSink {
    protected final GpuAdapter gpu;
    /** The processes and devices VidMm created on this context. */
    protected final DriverHandles handles;
    private final String name;
    private final int apertureSegment;
    private volatile DxgkCallbacks callbacks;
    private volatile boolean exclusive;
    /** Per engine type, its progress counter when it last completed a submission or was asked (DxgkDdiQueryEngineStatus). */
    private final java.util.Map<EngineType, Long> progressSeen = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param name            the driver's name, in its error messages and {@code gpu:list}
     * @param gpu             the adapter this context drives
     * @param apertureSegment the id of the aperture segment the driver reports
     * @param firstHandle     the driver's process and device handles count up from here
     */
    protected AdapterContext(String name, GpuAdapter gpu, int apertureSegment, long firstHandle) {
        this.handles = new DriverHandles(name, firstHandle);
        this.name = Objects.requireNonNull(name, "name");
        this.gpu = Objects.requireNonNull(gpu, "adapter");
        this.apertureSegment = apertureSegment;
    }

    /** Forgets what the driver keeps beyond its handles (the driver is stopped); nothing by default. */
    protected void forget() {
    }

    @Override
    public long createProcess(int pid, int[] pasids) {
        return handles.createProcess(pid, pasids);
    }

    @Override
    public void destroyProcess(long hProcess) {
        handles.destroyProcess(hProcess);
    }

    @Override
    public long createDevice(long hProcess, int ownerPasid) {
        return handles.createDevice(hProcess, ownerPasid);
    }

    @Override
    public void destroyDevice(long hDevice) {
        handles.destroyDevice(hDevice);
    }

    @Override
    public long createContext(long hDevice, int nodeOrdinal, int engineAffinity) {
        return handles.createContext(hDevice, nodeOrdinal, engineAffinity, gpu.physicalGpus());
    }

    @Override
    public void destroyContext(long hContext) {
        handles.destroyContext(hContext);
    }

    /**
     * Whole pages, 4 KiB aligned, in segment 1 (system memory), CPU_VISIBLE: in the IoMmu model the CPU
     * reaches every allocation at its VA.
     */
    @Override
    public AllocationDescription createAllocation(long hDevice, AllocationRequest request) {
        handles.device(hDevice);
        return new AllocationDescription((request.size() + 4095) & ~4095L, 4096, 1, java.util.Set.of(AllocationFlag.CPU_VISIBLE));
    }

    /**
     * Nothing to program: the device reaches the allocation at its VA through the IOMMU. Returns a new
     * hDeviceSpecificAllocation ({@link DriverHandles#openAllocation}).
     */
    @Override
    public long openAllocation(long hDevice, long hAllocation, boolean create) {
        return handles.openAllocation(hDevice, hAllocation, create);
    }

    @Override
    public void closeAllocation(long hDevice, long hDeviceSpecificAllocation) {
        handles.closeAllocation(hDevice, hDeviceSpecificAllocation);
    }

    @Override
    public void destroyAllocation(long hAllocation) {
    }

    /** This driver's encoding of a DMA command; the standard one by default. */
    protected GpuCommand encode(DmaCommand command) {
        return Hardware.encode(command);
    }

    /**
     * Which engine of a type runs a context's work: one engine per context (so that its fences
     * complete in order), on the context's physical GPU; a GPU's devices are spread over its engines
     * of the type in turn, so that two processes copy in parallel.
     */
    protected int engineInstanceFor(long hContext, EngineType type) {
        DriverHandles.Context c = handles.context(hContext);
        long ordinal = handles.device(c.device()).ordinal();
        int perGpu = Math.max(1, gpu.engineCount(type) / gpu.physicalGpus());
        return c.physicalGpu() * perGpu + (int) Long.remainderUnsigned(ordinal, perGpu);
    }

    /** The engine a node's work runs on; the node's own engine by default. */
    protected EngineType engineFor(EngineNode node) {
        return Hardware.engine(node);
    }

    @Override
    public String driverName() {
        return name;
    }

    public GpuAdapter adapter() {
        return gpu;
    }

    /** The processes, devices and contexts VidMm created on this context, as the driver keeps them. */
    public DriverHandles handles() {
        return handles;
    }

    @Override
    public void startDevice(DxgkCallbacks cb) {
        callbacks = Objects.requireNonNull(cb, "callbacks");
        gpu.attach(this);
    }

    @Override
    public void stopDevice() {
        gpu.detach(this);
        callbacks = null;
        exclusive = false;
        handles.clear();
        forget();
    }

    @Override
    public void beginExclusiveAccess() {
        exclusive = true;
    }

    @Override
    public void endExclusiveAccess() {
        exclusive = false;
    }

    /** Refuses a DDI that uses the hardware while VidMm holds it exclusively. */
    protected void requireAccess(String ddi) {
        if (exclusive) {
            throw new IllegalStateException(name + ": " + ddi + " during exclusive access");
        }
    }

    protected void checkAperture(int segmentId) {
        if (segmentId != apertureSegment) {
            throw new IllegalArgumentException(name + ": segment " + segmentId + " is not the aperture segment "
                    + apertureSegment);
        }
    }

    /** How many pages the aperture segment the driver reports has: the whole hardware aperture by default. */
    protected long apertureSegmentPages() {
        return gpu.aperture().pages();
    }

    /** Refuses aperture pages {@code firstPage .. firstPage + pages - 1} unless all lie in the aperture segment. */
    protected void checkAperturePages(int segmentId, long firstPage, long pages) {
        checkAperture(segmentId);
        long size = apertureSegmentPages();
        if (firstPage < 0 || pages < 0 || firstPage + pages > size) {
            throw new IllegalArgumentException(name + ": aperture pages " + firstPage + ".." + (firstPage + pages - 1)
                    + " are outside aperture segment " + segmentId + " (" + size + " pages)");
        }
    }

    @Override
    public void buildPagingBuffer(PagingOperation op, long pagingFenceValue) {
        requireAccess("BuildPagingBuffer");
        if (op instanceof PagingOperation.MapApertureSegment m) {
            checkAperturePages(m.segmentId(), m.firstPage(), m.frames().length);
            gpu.mapAperture(m.firstPage(), m.frames());
        } else if (op instanceof PagingOperation.UnmapApertureSegment u) {
            checkAperturePages(u.segmentId(), u.firstPage(), u.pages());
            gpu.unmapAperture(u.firstPage(), u.pages());
        } else {
            gpu.submit(engineFor(EngineNode.COPY), new Submission(op.pasid(), 0, List.of(Hardware.pagingCommand(op)),
                    pagingFenceValue));
            return;
        }
        // GART writes take effect at once; the paging fence completes as soon as they are done
        DxgkCallbacks cb = callbacks;
        if (cb != null) {
            cb.notifyInterrupt(new InterruptNotification.DmaCompleted(EngineNode.COPY, 0, pagingFenceValue)); // the paging node
        }
    }

    @Override
    public void submitCommand(long hContext, List<DmaCommand> commands, long fenceValue) {
        requireAccess("SubmitCommand");
        DriverHandles.Context c = handles.context(hContext);
        int pasid = handles.pasidOn(c.device(), c.physicalGpu()); // that GPU's IOMMU unit knows this one
        List<GpuCommand> encoded = new ArrayList<>(commands.size());
        for (DmaCommand command : commands) {
            encoded.add(encode(command));
        }
        EngineType engine = engineFor(c.node());
        gpu.submit(engine, engineInstanceFor(hContext, engine), new Submission(pasid, hContext, encoded, fenceValue));
    }

    /**
     * Queues the command buffer on the context's engine as the hardware runs one ({@link
     * BufferSubmission}): the engine fetches it at {@code dmaBufferVirtualAddress} with the context's
     * PASID for its physical GPU, through the device TLB and the IOMMU, decodes its packets and runs
     * them. A buffer that cannot be fetched or decoded faults on the engine (an interrupt), not here.
     */
    @Override
    public void submitCommandVirtual(long hContext, long dmaBufferVirtualAddress, int dmaBufferSize, long fenceValue) {
        requireAccess("SubmitCommandVirtual");
        if (dmaBufferSize <= 0 || dmaBufferSize > BufferSubmission.MAX_BYTES) {
            throw new IllegalArgumentException("DmaBufferSize must be 1.." + BufferSubmission.MAX_BYTES + " bytes, not "
                    + dmaBufferSize);
        }
        DriverHandles.Context c = handles.context(hContext);
        int pasid = handles.pasidOn(c.device(), c.physicalGpu());
        EngineType engine = engineFor(c.node());
        gpu.submitBuffer(engine, engineInstanceFor(hContext, engine), new BufferSubmission(pasid, hContext,
                dmaBufferVirtualAddress, dmaBufferSize, fenceValue));
    }

    @Override
    public List<VidPnSourceMode> queryVidPnSourceModes() {
        return Hardware.sourceModes(gpu);
    }

    @Override
    public void setVidPnSourceAddress(int sourceId, int segmentId, long offset) {
        if (segmentId == 0) {
            gpu.setScanoutAddress(sourceId, 0);
            return;
        }
        checkAperturePages(segmentId, offset >>> 12, 1);
        gpu.setScanoutAddress(sourceId, gpu.aperture().baseAddress() + offset);
    }

    @Override
    public void resetEngine(EngineNode node) {
        gpu.resetEngine(engineFor(node));
    }

    /**
     * Responsive when the node's engines executed something since they last completed a submission or
     * the driver was last asked (the hardware's progress counter moved).
     */
    @Override
    public boolean queryEngineStatus(EngineNode node) {
        EngineType type = engineFor(node);
        long now = gpu.engineProgress(type);
        Long before = progressSeen.put(type, now);
        return now != (before == null ? 0 : before);
    }

    @Override
    public void interrupt(Interrupt interrupt) {
        if (interrupt instanceof Interrupt.DmaCompleted done) {
            progressSeen.put(done.engine(), gpu.engineProgress(done.engine())); // progress up to here is this completion's
        }
        long context = interrupt instanceof Interrupt.DmaCompleted c ? c.contextId()
                : interrupt instanceof Interrupt.MonitoredFenceSignaled m ? m.contextId()
                : interrupt instanceof Interrupt.DmaPageFaulted f ? f.contextId()
                : ((Interrupt.DmaFaulted) interrupt).contextId();
        long process = interrupt instanceof Interrupt.DmaPageFaulted || interrupt instanceof Interrupt.DmaFaulted
                ? processOf(context) : 0;
        // the id VidMm gave, the fault's FaultedFenceId, are of the context's node and GPU, not the engine's
        notifyVidMm(Hardware.notification(interrupt, process, nodeOf(context, interrupt.engine()), physicalGpuOf(context)));
    }

    /**
     * The node of context {@code hContext} (its SubmissionFenceIds are that node's, whichever engine
     * {@link #engineFor} runs it on); the paging node (COPY) for paging work; the engine's own node for
     * a context gone meanwhile.
     */
    protected EngineNode nodeOf(long hContext, EngineType engine) {
        if (hContext == 0) {
            return EngineNode.COPY;
        }
        try {
            return handles.context(hContext).node();
        } catch (RuntimeException gone) {
            return Hardware.node(engine);
        }
    }

    /** The physical GPU context {@code hContext} runs on (EngineOrdinal), or 0: paging, or a context gone meanwhile. */
    protected int physicalGpuOf(long hContext) {
        if (hContext == 0) {
            return 0;
        }
        try {
            return handles.context(hContext).physicalGpu();
        } catch (RuntimeException gone) {
            return 0;
        }
    }

    /**
     * The driver's handle of the process whose context {@code hContext} is (a fault's
     * FaultedProcessHandle), or 0: paging work, or a context destroyed while its fault was raised.
     */
    protected long processOf(long hContext) {
        if (hContext == 0) {
            return 0;
        }
        try {
            return handles.device(handles.context(hContext).device()).process();
        } catch (RuntimeException gone) {
            return 0;
        }
    }

    /** DxgkCbNotifyInterrupt, if the context is started (dropped otherwise, as the hardware's would be). */
    protected void notifyVidMm(InterruptNotification notification) {
        DxgkCallbacks cb = callbacks;
        if (cb != null) {
            cb.notifyInterrupt(notification);
        }
    }
}
