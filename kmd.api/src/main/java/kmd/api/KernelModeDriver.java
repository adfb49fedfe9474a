package kmd.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import kmd.api.callbacks.DxgkCallbacks;

/**
 * The DDIs of a kernel-mode driver's context for one adapter (what {@link DisplayDriver#addDevice}
 * returned), implemented by a vendor bundle and called by VidMm only.
 *
 * <p>Threading: VidMm calls these methods one at a time per adapter, never from an interrupt
 * callback. Every method may throw a {@link RuntimeException} to refuse; VidMm then reports the
 * refusal with the driver's message and leaves its own state unchanged. Calls that start work on the
 * GPU ({@link #submitCommand}, {@link #buildPagingBuffer}) must return without waiting for it; the
 * driver reports completion and faults through {@link DxgkCallbacks#notifyInterrupt}.
 */
@ProviderType
public interface KernelModeDriver {
    /** DxgkDdiQueryAdapterInfo: caps and segments. Called before {@link #startDevice}. */
    AdapterInfo queryAdapterInfo();

    /**
     * DxgkDdiStartDevice: the driver attaches to its hardware and keeps {@code callbacks}. A started
     * driver knows no process, device or allocation yet: VidMm then tells it about every live one
     * (CreateProcess with the same PASID, CreateDevice, CreateAllocation + OpenAllocation at the same
     * VA, the aperture mappings of displayed primaries and SetVidPnSourceAddress), so that a driver
     * can replace another while applications run.
     */
    void startDevice(DxgkCallbacks callbacks);

    /**
     * DxgkDdiStopDevice: the driver detaches from its hardware and forgets every process, device and
     * allocation; no callback after it returns.
     */
    void stopDevice();

    /**
     * DxgkDdiCreateProcess: a process starts using the GPU. {@code pasids} has one PASID per physical
     * GPU of the adapter (DXGKARG_CREATEPROCESS.NumPasid/pPasid), each from the IOMMU unit that GPU
     * sits behind; it tags all the process's accesses on that GPU.
     */
    long createProcess(int pid, int[] pasids);

    void destroyProcess(long hProcess);

    /** DxgkDdiCreateDevice: a device of a process, whose accesses use {@code ownerPasid}. */
    long createDevice(long hProcess, int ownerPasid);

    void destroyDevice(long hDevice);

    /** DxgkDdiCreateAllocation: describes the allocation VidMm will back with memory. */
    AllocationDescription createAllocation(long hDevice, AllocationRequest request);

    /**
     * DxgkDdiOpenAllocation (DXGKARG_OPENALLOCATION, one DXGK_OPENALLOCATIONINFO): device {@code hDevice}
     * may now use allocation {@code hAllocation} (VidMm's handle of this device's open of it). {@code
     * create} is Flags.Create: the device created the allocation, rather than opening one another
     * process shared. Returns hDeviceSpecificAllocation, the driver's handle of this open, which
     * {@link #closeAllocation} is given back. As in WDDM 2 with GPU virtual addressing, the driver is
     * not told a VA here: in the IoMmu model the allocation is at the same VA for CPU and GPU, and the
     * command buffers that use it carry that VA.
     */
    long openAllocation(long hDevice, long hAllocation, boolean create);

    /**
     * DxgkDdiCloseAllocation (DXGKARG_CLOSEALLOCATION.pOpenHandleList, one entry): the device no longer
     * uses the allocation it opened as {@code hDeviceSpecificAllocation}.
     */
    void closeAllocation(long hDevice, long hDeviceSpecificAllocation);

    /** DxgkDdiDestroyAllocation: the allocation is gone (each device that opened it closed it first). */
    void destroyAllocation(long hAllocation);

    /**
     * DxgkDdiBuildPagingBuffer + submission on the paging node (the COPY node of physical GPU 0): runs
     * {@code operation}, then reports DMA_COMPLETED of {@code pagingFenceValue}, the SubmissionFenceId
     * VidMm gave this paging buffer on that node.
     */
    void buildPagingBuffer(PagingOperation operation, long pagingFenceValue);

    /**
     * DxgkDdiCreateContext (DXGKARG_CREATECONTEXT): a context of device {@code hDevice} on node
     * {@code nodeOrdinal} (NodeOrdinal: {@link EngineNode#nodeOrdinal()}) and {@code engineAffinity}
     * (EngineAffinity: the bit of the physical GPU whose engine runs it, {@code 1} on an adapter of one
     * GPU, bit {@code i} for GPU {@code i} below the number of PASIDs CreateProcess gave on a linked
     * adapter; VidMm sets exactly one). The context's submissions run in the order submitted, on one
     * engine; its accesses carry its process's PASID for that GPU. The returned hContext is the
     * context's in {@link #submitCommand} and in every interrupt its work raises. Must be unique among
     * the driver's live handles.
     */
    long createContext(long hDevice, int nodeOrdinal, int engineAffinity);

    /**
     * DxgkDdiDestroyContext: the context is gone. VidMm calls it only when none of the context's
     * submissions is queued any more (completed, or dropped by an engine reset).
     */
    void destroyContext(long hContext);

    /**
     * DxgkDdiSubmitCommand: queues the commands on context {@code hContext}'s engine, after the
     * context's earlier submissions. {@code fenceValue} is the SubmissionFenceId VidMm's scheduler gave
     * the submission on the context's node of its physical GPU (ids of a node increase by one in the
     * order VidMm gives them, across the node's contexts). When the commands have run, the driver
     * reports DMA_COMPLETED with that id, the node and the physical GPU as EngineOrdinal; VidMm maps the
     * id back to the submission, so the completion completes that context's work up to it and never
     * another context's.
     */
    void submitCommand(long hContext, List<DmaCommand> commands, long fenceValue);

    /**
     * DxgkDdiSubmitCommandVirtual (DXGKARG_SUBMITCOMMANDVIRTUAL): queues a command buffer the
     * user-mode driver wrote into its process's memory on context {@code hContext}'s engine, after the
     * context's earlier submissions. {@code dmaBufferVirtualAddress} and {@code dmaBufferSize} are
     * DmaBufferVirtualAddress and DmaBufferSize, in the address space of the context's process; the
     * OS does not read the buffer (its contents are the driver's format) and the driver need not
     * either: in the IoMmu model the engine fetches it with the process's PASID through the IOMMU,
     * as it does every other access. {@code fenceValue} is the SubmissionFenceId, and completion is
     * reported as for {@link #submitCommand}. The default refuses: a driver that runs command buffers
     * overrides it ({@code kmd.sdk}'s {@code AdapterContext} does).
     */
    default void submitCommandVirtual(long hContext, long dmaBufferVirtualAddress, int dmaBufferSize, long fenceValue) {
        throw new UnsupportedOperationException("this driver does not run command buffers (DxgkDdiSubmitCommandVirtual)");
    }

    /**
     * DxgkDdiResetEngine: drops the queued work of every context on {@code node} and clears a fault.
     * Throws if the engine cannot be reset. VidMm then resubmits what other contexts still need.
     */
    void resetEngine(EngineNode node);

    /**
     * DxgkDdiQueryEngineStatus: whether the engine of {@code node} (DXGKARG_QUERYENGINESTATUS.NodeOrdinal)
     * is making progress (DXGK_ENGINESTATUS.Responsive), asked when its oldest submission made no
     * progress for TdrDelay. A driver that answers true keeps its engine from being reset for that
     * TdrDelay: it must answer true only if the engine executed something since it last completed a
     * submission or was last asked. The default answers false, so the engine is reset as before.
     */
    default boolean queryEngineStatus(EngineNode node) {
        return false;
    }

    /** The video present sources and their current modes (DxgkDdiCommitVidPn has set them). */
    List<VidPnSourceMode> queryVidPnSourceModes();

    /**
     * DxgkDdiSetVidPnSourceAddress: the source scans out the primary at {@code offset} in segment
     * {@code segmentId} (an aperture segment: VidMm has mapped it there), from the next frame. Segment 0
     * means no surface.
     */
    void setVidPnSourceAddress(int sourceId, int segmentId, long offset);

    /**
     * DxgkDdiBeginExclusiveAccess: VidMm takes the hardware (for an adapter reset or a driver change).
     * Until {@link #endExclusiveAccess} or {@link #stopDevice}, the driver refuses submissions and paging
     * operations.
     */
    void beginExclusiveAccess();

    /** DxgkDdiEndExclusiveAccess: the driver may use the hardware again. */
    void endExclusiveAccess();
}
