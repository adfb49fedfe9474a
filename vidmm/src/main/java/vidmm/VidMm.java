package vidmm;

import java.util.List;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import umd.api.AllocationCreateFlag;

/**
 * The video memory manager, one state per GPU adapter (as dxgkrnl keeps one per adapter): each
 * adapter has its own driver, caps, aperture, residency, faults and display. A device belongs to the
 * adapter it was created on; the calls that take a device or allocation handle act on that adapter
 * (handles are unique across adapters). Thread safe. Every call validates its arguments and the driver's
 * answers before it changes anything; a refused call throws {@link VidMmException} and leaves VidMm,
 * the driver and the OS as they were.
 */
@ProviderType
public interface VidMm {

    /** Adapter 0's status. */
    default AdapterStatus adapter() {
        return adapter(0);
    }

    /**
     * An adapter's status.
     *
     * @throws VidMmException INVALID_PARAMETER naming the index if there is no such adapter
     */
    AdapterStatus adapter(int adapter);

    /** Every adapter's status, by index. */
    List<AdapterStatus> adapters();

    /**
     * Every kernel-mode driver as a candidate of every adapter, with the score its match gave.
     * VidMm attaches each adapter's best match (score, then ranking, then lowest service id); when it
     * changes, VidMm quiesces the old driver context and replays every process, device, allocation and
     * displayed primary of that adapter to the new one. Other adapters are not touched.
     */
    List<DriverBinding> drivers();

    /**
     * Takes an adapter from its drivers, for a holder that drives the hardware itself (the KMD
     * conformance kit): the attached driver is quiesced and detached as in a driver change, and no
     * driver is attached until the hold is closed; then the best match is attached again and every
     * live process, device, context, allocation and displayed primary is replayed to it. Meanwhile
     * the adapter's status is STOPPED, naming the holder, and calls that need its driver fail with
     * ADAPTER_NOT_STARTED. Processes keep their memory.
     *
     * @throws VidMmException INVALID_PARAMETER for no such adapter, or when it is already held (naming by whom)
     */
    AdapterHold hold(int adapter, String holder);

    /**
     * Gives the drivers VidMm gave up on an adapter (a TDR limit, a DDI that did not return within
     * TdrDdiDelay, a failed attach) another chance: their refusals are forgotten while their services
     * are present, and the best match is attached with every live object replayed, as after a driver
     * change. A driver whose match said it does not fit stays refused. Returns how many were forgotten.
     *
     * @throws VidMmException INVALID_PARAMETER for no such adapter
     */
    int retryDrivers(int adapter);

    /** {@link #createDevice(int, int)} on adapter 0. */
    default long createDevice(int pid) {
        return createDevice(0, pid);
    }

    /**
     * Creates a device for a process on an adapter. The process's first device there registers its
     * address space with the adapter's IOMMU unit (a PASID of that unit) and tells the driver:
     * CreateProcess with that PASID (one per physical GPU of the adapter), then CreateDevice.
     */
    long createDevice(int adapter, int pid);

    /** Destroys a device and its allocations; the process's last device unregisters it from the IOMMU. */
    void destroyDevice(long device);

    /**
     * Allocate: the driver describes the allocation, VidMm backs it with committed memory in the
     * device's process (a section if {@link AllocationCreateFlag#CREATE_SHARED}) and returns it.
     */
    Allocation allocate(long device, long size, Set<AllocationCreateFlag> flags);

    /**
     * Opens a shared allocation in a device's process: the same frames, mapped at a new VA. The
     * allocation may have been created on another adapter: each adapter reaches the frames through
     * its own IOMMU unit.
     */
    Allocation openShared(long device, long sharedHandle);

    /** Closes (opened) or destroys (created) an allocation of a device. */
    void destroyAllocation(long device, long allocation);

    /**
     * Reference-counted MakeResident; returns the paging fence value of the request.
     *
     * @throws VidMmException NO_VIDEO_MEMORY naming NumBytesToTrim if the process would go over its
     *                        budget (nothing changes: the caller evicts that much and retries)
     */
    long makeResident(long device, List<Long> allocations);

    /**
     * D3DKMTCreatePagingQueue: a paging queue of the device, its paging fence a new monitored fence
     * of the device's process. It goes with the device or by {@link #destroyPagingQueue}.
     */
    PagingQueueInfo createPagingQueue(long device);

    /** D3DKMTDestroyPagingQueue: the queue and its paging fence go. */
    void destroyPagingQueue(long pagingQueue);

    /** The paging queue with that handle, or INVALID_HANDLE. */
    PagingQueueInfo pagingQueue(long pagingQueue);

    /**
     * D3DKMTMakeResident through a paging queue: reference-counted, all or nothing. Within the budget
     * (or over it with {@code cantTrimFurther}) the queue's paging fence is advanced to the returned
     * PagingFenceValue; over it otherwise nothing changes and NumBytesToTrim says by how much.
     * With {@code mustSucceed} (which needs {@code cantTrimFurther}), a failure puts the device in error.
     */
    MakeResidentResult makeResident(long pagingQueue, List<Long> allocations, boolean cantTrimFurther, boolean mustSucceed);

    /**
     * Reference-counted Evict; once an allocation's last reference goes the OS may page it out at
     * once. Returns NumBytesToTrim: how far the process is still over its budget.
     */
    long evict(long device, List<Long> allocations);

    /**
     * D3DKMTRegisterTrimNotification: {@code numBytesToTrim} is told, on the trimming thread and without
     * VidMm's locks, how much the device's process should trim when the OS asks ({@link #trim}).
     * Returns the registration's handle; it goes with the device.
     */
    long registerTrimNotification(long device, java.util.function.LongConsumer numBytesToTrim);

    /** D3DKMTUnregisterTrimNotification. */
    void unregisterTrimNotification(long handle);

    /** The device a trim notification registration belongs to, or INVALID_HANDLE. */
    long trimNotificationDevice(long handle);

    /**
     * The process's budget and usage (on the lowest-index adapter where it has a device). In the IoMmu model an allocation lives in pageable process
     * memory: MakeResident pins it, so the GPU never waits on a page-in; Evict unpins it, so the OS
     * may trim it. Residency is WDDM 2's: MakeResident and Evict are its only owner and a submission
     * pins nothing; what a submission reaches that nobody made resident is a page fault under the
     * OS's windows GPU fault policy, a page request under sva. A MakeResident that would take the
     * process over its budget is refused with NumBytesToTrim: the UMD chooses what to evict.
     *
     * @throws VidMmException INVALID_PARAMETER if the process does not use the GPU
     */
    VideoMemoryInfo videoMemoryInfo(int pid);

    /**
     * The OS asks a process to come down to at most {@code bytes} resident on each adapter, as when
     * memory is needed elsewhere: every trim notification registered by its devices there is told
     * NumBytesToTrim (TrimToBudget), and their UMDs choose what to evict; VidMm evicts nothing itself.
     * Returns the bytes the process's usage fell by (0 when nobody listens or nothing was over).
     *
     * @throws VidMmException INVALID_PARAMETER for a negative target or a process that does not use the GPU
     */
    long trim(int pid, long bytes);

    /** D3DKMTQueryVideoMemoryInfo for a device: its process's figures on the device's adapter. */
    VideoMemoryInfo queryVideoMemoryInfo(long device);

    /**
     * D3DKMTCreateContext: a context of the device on {@code node} of physical GPU {@code gpu} (0
     * unless the adapter is linked), with its own fence timeline: its submissions get fences 1, 2, ...,
     * complete in order, and a completion on another context never completes one of them.
     *
     * @throws VidMmException INVALID_HANDLE for an unknown device, INVALID_PARAMETER naming a GPU the
     *                        adapter does not have, DEVICE_IN_ERROR, or the driver's refusal
     */
    long createContext(long device, EngineNode node, int gpu);

    /**
     * The device's first context on {@code node} on its own physical GPU, created on first use: the
     * shorthand for a caller that wants one queue per node (as {@code vidmm:submit DEVICE} does).
     */
    long context(long device, EngineNode node);

    /** D3DKMTDestroyContext: waits for (or cuts off) its queued work, then destroys it. */
    void destroyContext(long context);

    /**
     * SubmitCommand on a context: the buffer goes to the driver after the context's earlier work.
     * It pins nothing (WDDM 2): the UMD makes resident what it uses beforehand ({@link #makeResident});
     * what nobody made resident is reached through the IOMMU's page requests.
     *
     * @return the submission's fence value on that context
     */
    long submit(long context, List<DmaCommand> commands);

    /**
     * D3DKMTSubmitCommand of a command buffer (D3DKMT_SUBMITCOMMAND's Commands and CommandLength,
     * BroadcastContext[0] = {@code context}): {@code length} bytes at {@code va} in the context's
     * process, which its user-mode driver wrote in the driver's packet format. VidMm does not read
     * it; the driver gets its address and size (DxgkDdiSubmitCommandVirtual) and the GPU fetches it
     * through the IOMMU with the process's PASID. A buffer the GPU cannot fetch or decode faults the
     * context's device as any other GPU fault.
     *
     * @return the submission's fence value on that context
     */
    long submitBuffer(long context, long va, int length);

    /**
     * Waits until the context's fence reaches {@code fence} (its work, and only its work, completed),
     * the context's device faults, or the time is up.
     */
    FenceWait waitForFence(long context, long fence, long timeoutMillis);

    /**
     * D3DKMTCreateSynchronizationObject of type monitored fence: a 64-bit value, 0 at first, in a
     * page of the device's process that the CPU reads and the GPU writes. Any context of any device
     * of that process, on any adapter, may signal it and wait for it.
     */
    long createSynchronizationObject(long device);

    /** D3DKMTDestroySynchronizationObject: its page goes back; CPU waiters see {@link FenceWait#DEVICE_IN_ERROR}. */
    void destroySynchronizationObject(long sync);

    /**
     * SignalSynchronizationObjectFromGpu: the context writes {@code value} to the object once its
     * earlier work completed; the object reaches {@code value} then. Returns the signal's fence on
     * the context.
     *
     * @throws VidMmException INVALID_HANDLE for an object of another process, INVALID_PARAMETER for a value under 1
     */
    long signalFromGpu(long context, long sync, long value);

    /**
     * WaitForSynchronizationObjectFromGpu: the context runs nothing submitted after this until the
     * object reaches {@code value}. A wait never satisfied is a timeout (TDR) of the context's device.
     */
    void waitFromGpu(long context, long sync, long value);

    /** SignalSynchronizationObjectFromCpu: the object reaches {@code value} now (a lower value changes nothing). */
    void signalFromCpu(long sync, long value);

    /** WaitForSynchronizationObjectFromCpu: until the object reaches {@code value}, or the time is up. */
    FenceWait waitFromCpu(long sync, long value, long timeoutMillis);

    /** One synchronization object's state. */
    SyncObjectInfo syncObject(long sync);

    /** Every synchronization object, by handle. */
    List<SyncObjectInfo> syncObjects();

    /** One context's state. */
    ContextInfo contextInfo(long context);

    /** Every context of every adapter, by handle. */
    List<ContextInfo> contexts();

    /**
     * Displays a primary on a video present source: pins it, maps it into the aperture segment
     * (MapApertureSegment), points the source at it (SetVidPnSourceAddress), then unmaps and unpins the
     * primary the source showed before.
     */
    void present(long device, long allocation, int source);

    /** Adapter 0's video present sources. */
    default List<kmd.api.VidPnSourceMode> sourceModes() {
        return sourceModes(0);
    }

    /** An adapter's video present sources' modes, as its driver reported them (none for a render-only adapter). */
    List<kmd.api.VidPnSourceMode> sourceModes(int adapter);

    /** The primaries mapped into every adapter's aperture now. */
    java.util.List<ApertureMapping> apertureMappings();

    DeviceInfo device(long device);

    List<ProcessRegistration> processes();

    List<Allocation> allocations();

    List<GpuFault> faults();
}
