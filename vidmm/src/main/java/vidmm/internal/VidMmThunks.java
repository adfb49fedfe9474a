package vidmm.internal;

import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import os.memmgr.AddressSpace;
import os.memmgr.MemoryException;
import os.memmgr.MemoryManager;
import umd.api.AllocationCreateFlag;
import umd.api.KernelThunks;
import umd.api.KmtAllocation;
import umd.api.ProcessMemory;
import umd.api.SurfaceMode;
import umd.api.ThunkException;
import umd.api.WaitResult;
import vidmm.Allocation;
import vidmm.VidMm;
import vidmm.VidMmException;

/** The D3DKMT thunks: user mode's only way into VidMm. Kernel errors become {@link ThunkException}s. */
@Component(service = KernelThunks.class)
public final class VidMmThunks implements KernelThunks {
    private final VidMm vidmm;
    private final MemoryManager mm;

    @Activate
    public VidMmThunks(@Reference VidMm vidmm, @Reference MemoryManager mm) {
        this.vidmm = vidmm;
        this.mm = mm;
    }

    private static <T> T thunk(String name, Supplier<T> call) {
        try {
            return call.get();
        } catch (VidMmException e) {
            // an OS refusal keeps the OS's status (e.g. INVALID_CID), as dxgkrnl passes NTSTATUS through
            String status = e.getCause() instanceof MemoryException me ? me.status().name() : e.status().name();
            throw new ThunkException(status, name + ": " + e.getMessage(), e);
        } catch (MemoryException e) {
            throw new ThunkException(e.status().name(), name + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ThunkException("INVALID_PARAMETER", name + ": " + e.getMessage(), e);
        }
    }

    private static void thunk(String name, Runnable call) {
        thunk(name, () -> {
            call.run();
            return null;
        });
    }

    private static KmtAllocation kmt(Allocation a) {
        return new KmtAllocation(a.handle(), a.va(), a.size(), a.sharedHandle());
    }

    @Override
    public KernelThunks forProcess(int pid) {
        thunk("forProcess", () -> mm.addressSpace(pid)); // INVALID_CID for no such process
        return new ProcessThunks(this, vidmm, pid);
    }

    @Override
    public ProcessMemory processMemory(int pid) {
        AddressSpace space = thunk("ProcessMemory", () -> mm.addressSpace(pid));
        return new ProcessMemory() {
            @Override
            public int pid() {
                return pid;
            }

            @Override
            public byte[] read(long va, int length) {
                return thunk("read", () -> space.read(va, length));
            }

            @Override
            public void write(long va, byte[] data) {
                thunk("write", () -> space.write(va, data));
            }
        };
    }

    @Override
    public long createDevice(int pid, int adapter) {
        return thunk("D3DKMTCreateDevice", () -> vidmm.createDevice(adapter, pid));
    }

    @Override
    public void destroyDevice(long device) {
        thunk("D3DKMTDestroyDevice", () -> vidmm.destroyDevice(device));
    }

    @Override
    public KmtAllocation allocate(long device, long size, Set<AllocationCreateFlag> flags) {
        return thunk("D3DKMTCreateAllocation", () -> kmt(vidmm.allocate(device, size, flags)));
    }

    @Override
    public KmtAllocation openResource(long device, long sharedHandle) {
        return thunk("D3DKMTOpenResource", () -> kmt(vidmm.openShared(device, sharedHandle)));
    }

    @Override
    public void deallocate(long device, long allocation) {
        thunk("D3DKMTDestroyAllocation", () -> vidmm.destroyAllocation(device, allocation));
    }

    @Override
    public long makeResident(long device, List<Long> allocations) {
        return thunk("D3DKMTMakeResident", () -> vidmm.makeResident(device, allocations));
    }

    @Override
    public umd.api.PagingQueue createPagingQueue(long device) {
        return thunk("D3DKMTCreatePagingQueue", () -> {
            vidmm.PagingQueueInfo q = vidmm.createPagingQueue(device);
            return new umd.api.PagingQueue(q.handle(), q.syncObject(), q.fenceVa());
        });
    }

    @Override
    public void destroyPagingQueue(long pagingQueue) {
        thunk("D3DKMTDestroyPagingQueue", () -> vidmm.destroyPagingQueue(pagingQueue));
    }

    @Override
    public umd.api.MakeResidentResult makeResident(long pagingQueue, List<Long> allocations,
                                                   java.util.Set<umd.api.MakeResidentFlag> flags) {
        return thunk("D3DKMTMakeResident", () -> {
            java.util.Objects.requireNonNull(flags, "flags");
            vidmm.MakeResidentResult r = vidmm.makeResident(pagingQueue, allocations,
                    flags.contains(umd.api.MakeResidentFlag.CANT_TRIM_FURTHER), flags.contains(umd.api.MakeResidentFlag.MUST_SUCCEED));
            return new umd.api.MakeResidentResult(r.pagingFenceValue(), r.numBytesToTrim());
        });
    }

    @Override
    public long evict(long device, List<Long> allocations) {
        return thunk("D3DKMTEvict", () -> vidmm.evict(device, allocations));
    }

    @Override
    public long registerTrimNotification(long device, java.util.function.Consumer<umd.api.TrimNotification> callback) {
        return thunk("D3DKMTRegisterTrimNotification", () -> {
            java.util.Objects.requireNonNull(callback, "callback");
            return vidmm.registerTrimNotification(device, bytes -> callback.accept(new umd.api.TrimNotification(true, bytes)));
        });
    }

    @Override
    public void unregisterTrimNotification(long handle) {
        thunk("D3DKMTUnregisterTrimNotification", () -> vidmm.unregisterTrimNotification(handle));
    }

    @Override
    public umd.api.VideoMemoryInfo queryVideoMemoryInfo(long device) {
        return thunk("D3DKMTQueryVideoMemoryInfo", () -> {
            vidmm.VideoMemoryInfo i = vidmm.queryVideoMemoryInfo(device);
            return new umd.api.VideoMemoryInfo(i.budget(), i.currentUsage(), i.availableForReservation());
        });
    }

    @Override
    public long createContext(long device, int nodeOrdinal, int engineAffinity) {
        return thunk("D3DKMTCreateContextVirtual", () -> {
            if (Integer.bitCount(engineAffinity) != 1) {
                throw new IllegalArgumentException("EngineAffinity 0x" + Integer.toHexString(engineAffinity)
                        + " must name one physical GPU (one bit set)");
            }
            return vidmm.createContext(device, EngineNode.ofNodeOrdinal(nodeOrdinal), Integer.numberOfTrailingZeros(engineAffinity));
        });
    }

    @Override
    public void destroyContext(long context) {
        thunk("D3DKMTDestroyContext", () -> vidmm.destroyContext(context));
    }

    @Override
    public long submit(long context, List<DmaCommand> commands) {
        return thunk("D3DKMTSubmitCommand", () -> vidmm.submit(context, commands));
    }

    @Override
    public long submitCommandBuffer(long context, long commands, int commandLength) {
        return thunk("D3DKMTSubmitCommand", () -> vidmm.submitBuffer(context, commands, commandLength));
    }

    @Override
    public WaitResult waitForFence(long context, long fence, long timeoutMillis) {
        return thunk("D3DKMTWaitForSynchronizationObject", () -> result(vidmm.waitForFence(context, fence, timeoutMillis)));
    }

    @Override
    public umd.api.KmtSyncObject createSynchronizationObject(long device) {
        return thunk("D3DKMTCreateSynchronizationObject2", () -> {
            long handle = vidmm.createSynchronizationObject(device);
            return new umd.api.KmtSyncObject(handle, vidmm.syncObject(handle).va());
        });
    }

    @Override
    public void destroySynchronizationObject(long sync) {
        thunk("D3DKMTDestroySynchronizationObject", () -> vidmm.destroySynchronizationObject(sync));
    }

    @Override
    public long signalFromGpu(long context, long sync, long value) {
        return thunk("D3DKMTSignalSynchronizationObjectFromGpu", () -> vidmm.signalFromGpu(context, sync, value));
    }

    @Override
    public void waitFromGpu(long context, long sync, long value) {
        thunk("D3DKMTWaitForSynchronizationObjectFromGpu", () -> vidmm.waitFromGpu(context, sync, value));
    }

    @Override
    public void signalFromCpu(long sync, long value) {
        thunk("D3DKMTSignalSynchronizationObjectFromCpu", () -> vidmm.signalFromCpu(sync, value));
    }

    @Override
    public WaitResult waitFromCpu(long sync, long value, long timeoutMillis) {
        return thunk("D3DKMTWaitForSynchronizationObjectFromCpu", () -> result(vidmm.waitFromCpu(sync, value, timeoutMillis)));
    }

    private static WaitResult result(vidmm.FenceWait w) {
        return switch (w) {
            case COMPLETED -> WaitResult.COMPLETED;
            case DEVICE_IN_ERROR -> WaitResult.DEVICE_ERROR;
            case TIMED_OUT -> WaitResult.TIMEOUT;
        };
    }

    @Override
    public void present(long device, long allocation, int source) {
        thunk("D3DKMTPresent", () -> vidmm.present(device, allocation, source));
    }

    @Override
    public List<SurfaceMode> displayModes(int adapter) {
        return thunk("D3DKMTGetDisplayModeList", () -> vidmm.sourceModes(adapter)).stream().map(m -> new SurfaceMode(m.sourceId(), m.width(), m.height(), m.pitch()))
                .toList();
    }
}
