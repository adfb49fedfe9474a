package vidmm.internal;

import java.util.List;
import java.util.Set;

import kmd.api.DmaCommand;
import umd.api.AllocationCreateFlag;
import umd.api.KernelThunks;
import umd.api.KmtAllocation;
import umd.api.ProcessMemory;
import umd.api.SurfaceMode;
import umd.api.ThunkException;
import umd.api.VideoMemoryInfo;
import umd.api.WaitResult;
import vidmm.VidMm;
import vidmm.VidMmException;

/**
 * The thunks of one process: every call names a device, and a device of another process is refused
 * with INVALID_HANDLE before anything is done, and so is a context of another process's device.
 * Allocations are the device's own and fences the context's, so they cannot name another
 * process's either.
 */
final class ProcessThunks implements KernelThunks {
    private final KernelThunks all;
    private final VidMm vidmm;
    private final int pid;

    ProcessThunks(KernelThunks all, VidMm vidmm, int pid) {
        this.all = all;
        this.vidmm = vidmm;
        this.pid = pid;
    }

    /**
     * {@code handle}, if {@code ownerOf} says it is this process's {@code what}; else INVALID_HANDLE
     * (or the kernel's status for an unknown handle) naming the thunk.
     */
    private long owned(String thunk, String what, long handle, java.util.function.LongToIntFunction ownerOf) {
        int owner;
        try {
            owner = ownerOf.applyAsInt(handle);
        } catch (VidMmException unknown) {
            throw new ThunkException(unknown.status().name(), thunk + ": " + unknown.getMessage(), unknown);
        }
        if (owner != pid) {
            throw new ThunkException("INVALID_HANDLE", String.format("%s: %s 0x%x is not process %d's", thunk, what, handle,
                    pid), null);
        }
        return handle;
    }

    private long own(String thunk, long device) {
        return owned(thunk, "device", device, h -> vidmm.device(h).pid());
    }

    private long ownPagingQueue(String thunk, long pagingQueue) {
        return owned(thunk, "paging queue", pagingQueue, h -> vidmm.device(vidmm.pagingQueue(h).device()).pid());
    }

    private long ownContext(String thunk, long context) {
        return owned(thunk, "context", context, h -> vidmm.contextInfo(h).pid());
    }

    private long ownSync(String thunk, long sync) {
        return owned(thunk, "synchronization object", sync, h -> vidmm.syncObject(h).pid());
    }

    @Override
    public umd.api.KmtSyncObject createSynchronizationObject(long device) {
        return all.createSynchronizationObject(own("D3DKMTCreateSynchronizationObject2", device));
    }

    @Override
    public void destroySynchronizationObject(long sync) {
        all.destroySynchronizationObject(ownSync("D3DKMTDestroySynchronizationObject", sync));
    }

    @Override
    public long signalFromGpu(long context, long sync, long value) {
        String thunk = "D3DKMTSignalSynchronizationObjectFromGpu";
        return all.signalFromGpu(ownContext(thunk, context), ownSync(thunk, sync), value);
    }

    @Override
    public void waitFromGpu(long context, long sync, long value) {
        String thunk = "D3DKMTWaitForSynchronizationObjectFromGpu";
        all.waitFromGpu(ownContext(thunk, context), ownSync(thunk, sync), value);
    }

    @Override
    public void signalFromCpu(long sync, long value) {
        all.signalFromCpu(ownSync("D3DKMTSignalSynchronizationObjectFromCpu", sync), value);
    }

    @Override
    public WaitResult waitFromCpu(long sync, long value, long timeoutMillis) {
        return all.waitFromCpu(ownSync("D3DKMTWaitForSynchronizationObjectFromCpu", sync), value, timeoutMillis);
    }

    private void self(String thunk, int other) {
        if (other != pid) {
            throw new ThunkException("INVALID_HANDLE", thunk + ": process " + pid + " cannot act for process " + other, null);
        }
    }

    @Override
    public KernelThunks forProcess(int other) {
        self("forProcess", other);
        return this;
    }

    @Override
    public ProcessMemory processMemory(int other) {
        self("ProcessMemory", other);
        return all.processMemory(pid);
    }

    @Override
    public long createDevice(int other, int adapter) {
        self("D3DKMTCreateDevice", other);
        return all.createDevice(pid, adapter);
    }

    @Override
    public void destroyDevice(long device) {
        all.destroyDevice(own("D3DKMTDestroyDevice", device));
    }

    @Override
    public KmtAllocation allocate(long device, long size, Set<AllocationCreateFlag> flags) {
        return all.allocate(own("D3DKMTCreateAllocation", device), size, flags);
    }

    @Override
    public KmtAllocation openResource(long device, long sharedHandle) {
        return all.openResource(own("D3DKMTOpenResource", device), sharedHandle);
    }

    @Override
    public void deallocate(long device, long allocation) {
        all.deallocate(own("D3DKMTDestroyAllocation", device), allocation);
    }

    @Override
    public long makeResident(long device, List<Long> allocations) {
        return all.makeResident(own("D3DKMTMakeResident", device), allocations);
    }

    @Override
    public umd.api.PagingQueue createPagingQueue(long device) {
        return all.createPagingQueue(own("D3DKMTCreatePagingQueue", device));
    }

    @Override
    public void destroyPagingQueue(long pagingQueue) {
        all.destroyPagingQueue(ownPagingQueue("D3DKMTDestroyPagingQueue", pagingQueue));
    }

    @Override
    public umd.api.MakeResidentResult makeResident(long pagingQueue, List<Long> allocations,
                                                   Set<umd.api.MakeResidentFlag> flags) {
        return all.makeResident(ownPagingQueue("D3DKMTMakeResident", pagingQueue), allocations, flags);
    }

    @Override
    public long evict(long device, List<Long> allocations) {
        return all.evict(own("D3DKMTEvict", device), allocations);
    }

    @Override
    public long registerTrimNotification(long device, java.util.function.Consumer<umd.api.TrimNotification> callback) {
        return all.registerTrimNotification(own("D3DKMTRegisterTrimNotification", device), callback);
    }

    @Override
    public void unregisterTrimNotification(long handle) {
        all.unregisterTrimNotification(owned("D3DKMTUnregisterTrimNotification", "trim notification", handle,
                h -> vidmm.device(vidmm.trimNotificationDevice(h)).pid()));
    }

    @Override
    public VideoMemoryInfo queryVideoMemoryInfo(long device) {
        return all.queryVideoMemoryInfo(own("D3DKMTQueryVideoMemoryInfo", device));
    }

    @Override
    public long createContext(long device, int nodeOrdinal, int engineAffinity) {
        return all.createContext(own("D3DKMTCreateContextVirtual", device), nodeOrdinal, engineAffinity);
    }

    @Override
    public void destroyContext(long context) {
        all.destroyContext(ownContext("D3DKMTDestroyContext", context));
    }

    @Override
    public long submit(long context, List<DmaCommand> commands) {
        return all.submit(ownContext("D3DKMTSubmitCommand", context), commands);
    }

    @Override
    public long submitCommandBuffer(long context, long commands, int commandLength) {
        return all.submitCommandBuffer(ownContext("D3DKMTSubmitCommand", context), commands, commandLength);
    }

    @Override
    public WaitResult waitForFence(long context, long fence, long timeoutMillis) {
        return all.waitForFence(ownContext("D3DKMTWaitForSynchronizationObject", context), fence, timeoutMillis);
    }

    @Override
    public void present(long device, long allocation, int source) {
        all.present(own("D3DKMTPresent", device), allocation, source);
    }

    @Override
    public List<SurfaceMode> displayModes(int adapter) {
        return all.displayModes(adapter);
    }
}
