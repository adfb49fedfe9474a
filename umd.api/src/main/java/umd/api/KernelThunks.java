package umd.api;

import java.util.List;
import java.util.Set;

import org.osgi.annotation.versioning.ProviderType;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;

/**
 * The D3DKMT thunks VidMm offers user mode. Thread safe. Every thunk validates its arguments and
 * throws {@link ThunkException} naming what was wrong, changing nothing.
 */
@ProviderType
public interface KernelThunks {

    /**
     * The thunks as process {@code pid} calls them (D3DKMT calls always act for the calling process):
     * a device of another process, and so its allocations, contexts and fences, is refused with
     * {@code INVALID_HANDLE}, and the other process's state is unchanged. A UMD uses the view of the
     * process it was opened for.
     *
     * @throws ThunkException INVALID_CID if no such process
     */
    KernelThunks forProcess(int pid);

    /** The CPU view of a process's memory (what code in the process dereferences). */
    ProcessMemory processMemory(int pid);

    /** D3DKMTCreateDevice on adapter 0. */
    default long createDevice(int pid) {
        return createDevice(pid, 0);
    }

    /**
     * D3DKMTCreateDevice on an adapter (opened by index, as D3DKMTOpenAdapterFromLuid would).
     *
     * @throws ThunkException INVALID_PARAMETER naming the adapter if there is none with that index
     */
    long createDevice(int pid, int adapter);

    /** D3DKMTDestroyDevice: its allocations go too. */
    void destroyDevice(long device);

    /**
     * D3DKMTCreateAllocation of one allocation of {@code size} bytes with {@code flags}
     * (D3DDDI_ALLOCATIONINFO2.Flags.Primary, D3DKMT_CREATEALLOCATIONFLAGS.CreateShared).
     */
    KmtAllocation allocate(long device, long size, Set<AllocationCreateFlag> flags);

    /** D3DKMTOpenResource: a shared allocation of another process, mapped into this device's process. */
    KmtAllocation openResource(long device, long sharedHandle);

    /** D3DKMTDestroyAllocation. */
    void deallocate(long device, long allocation);

    /**
     * D3DKMTMakeResident through the device's own paging queue, without flags; returns the paging
     * fence value.
     *
     * @throws ThunkException NO_VIDEO_MEMORY naming NumBytesToTrim if the process would go over its
     *                        budget (nothing changed)
     */
    long makeResident(long device, List<Long> allocations);

    /**
     * D3DKMTCreatePagingQueue (D3DKMT_CREATEPAGINGQUEUE) on a device: a paging queue and its paging
     * fence. It goes with the device, or by {@link #destroyPagingQueue}.
     */
    PagingQueue createPagingQueue(long device);

    /** D3DKMTDestroyPagingQueue. */
    void destroyPagingQueue(long pagingQueue);

    /**
     * D3DKMTMakeResident (D3DDDI_MAKERESIDENT: hPagingQueue, AllocationList, Flags): adds one residency
     * reference to each allocation of the queue's device, all or nothing. Over the process's budget it
     * is refused with NumBytesToTrim and changes nothing, unless {@link MakeResidentFlag#CANT_TRIM_FURTHER}.
     *
     * @throws ThunkException INVALID_HANDLE for an unknown queue or allocation; with MUST_SUCCEED, the
     *                        status of a failure that put the device in error
     */
    MakeResidentResult makeResident(long pagingQueue, List<Long> allocations, Set<MakeResidentFlag> flags);

    /**
     * D3DKMTEvict: one residency reference less on each (D3DKMT_EVICT), all or nothing; once its last
     * goes, the OS may page it out at any time, so no queued work may still use it. Returns
     * NumBytesToTrim: how far the process still is over its budget (0 within it).
     */
    long evict(long device, List<Long> allocations);

    /**
     * D3DKMTRegisterTrimNotification for a device: {@code callback} is the UMD's TrimResidencySet,
     * called (on the kernel's thread, without its locks) when the OS needs the process to trim; it
     * should evict at least NumBytesToTrim of what no queued work uses. Returns the registration's
     * handle; it goes with the device, or by {@link #unregisterTrimNotification}.
     */
    long registerTrimNotification(long device, java.util.function.Consumer<TrimNotification> callback);

    /** D3DKMTUnregisterTrimNotification. */
    void unregisterTrimNotification(long handle);

    /** D3DKMTQueryVideoMemoryInfo: the process's budget and usage. */
    VideoMemoryInfo queryVideoMemoryInfo(long device);

    /**
     * D3DKMTCreateContextVirtual (D3DKMT_CREATECONTEXTVIRTUAL: hDevice, NodeOrdinal, EngineAffinity): a
     * context of the device on node {@code nodeOrdinal} ({@link EngineNode#nodeOrdinal()}) of the physical
     * GPU whose bit {@code engineAffinity} sets ({@code 1} unless the adapter is linked), as a D3D12
     * command queue is bound to one. Each context has its own fence timeline.
     *
     * @throws ThunkException INVALID_PARAMETER naming a node the adapter lacks or an EngineAffinity that is not one GPU's bit
     */
    long createContext(long device, int nodeOrdinal, int engineAffinity);

    /** D3DKMTDestroyContext: its queued work finishes (or is cut off) first. */
    void destroyContext(long context);

    /** D3DKMTSubmitCommand on a context; returns the submission's fence value on that context. */
    long submit(long context, List<DmaCommand> commands);

    /**
     * D3DKMTSubmitCommand of a command buffer (D3DKMT_SUBMITCOMMAND: {@code commands} is Commands,
     * {@code commandLength} CommandLength, {@code context} BroadcastContext[0]): the user-mode driver
     * wrote the buffer into its process's memory, in its kernel-mode driver's packet format, and
     * made it resident; the GPU fetches it through the IOMMU. Returns the submission's fence value
     * on that context. The buffer may be reused once that fence completed.
     */
    long submitCommandBuffer(long context, long commands, int commandLength);

    /**
     * D3DKMTWaitForSynchronizationObject on a context's submission fence: completed only when that
     * context's work up to the fence completed.
     */
    WaitResult waitForFence(long context, long fence, long timeoutMillis);

    /**
     * D3DKMTCreateSynchronizationObject2 of type D3DDDI_MONITORED_FENCE: a 64-bit value, 0 at first,
     * in a page of the device's process. Contexts of any of the process's devices, on any adapter,
     * signal it and wait for it.
     */
    KmtSyncObject createSynchronizationObject(long device);

    /** D3DKMTDestroySynchronizationObject. */
    void destroySynchronizationObject(long sync);

    /** D3DKMTSignalSynchronizationObjectFromGpu: the context sets the value once its earlier work completed; returns that signal's fence on the context. */
    long signalFromGpu(long context, long sync, long value);

    /** D3DKMTWaitForSynchronizationObjectFromGpu: the context runs nothing submitted after this until the value is reached. */
    void waitFromGpu(long context, long sync, long value);

    /** D3DKMTSignalSynchronizationObjectFromCpu. */
    void signalFromCpu(long sync, long value);

    /** D3DKMTWaitForSynchronizationObjectFromCpu. */
    WaitResult waitFromCpu(long sync, long value, long timeoutMillis);

    /** D3DKMTPresent: displays a primary allocation on a source. */
    void present(long device, long allocation, int source);

    /** The modes of adapter 0's video present sources. */
    default List<SurfaceMode> displayModes() {
        return displayModes(0);
    }

    /** The modes of an adapter's video present sources (none for a render-only adapter). */
    List<SurfaceMode> displayModes(int adapter);
}
