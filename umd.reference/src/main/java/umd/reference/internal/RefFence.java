package umd.reference.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import umd.api.Fence;
import umd.api.KernelThunks;
import umd.api.KmtSyncObject;
import umd.api.ProcessMemory;
import umd.api.WaitResult;

/** A fence of the reference UMD: a kernel monitored fence, its value read where the kernel keeps it in the process. */
final class RefFence implements Fence {
    private final KernelThunks kmt;
    private final ProcessMemory memory;
    private final KmtSyncObject sync;

    RefFence(KernelThunks kmt, ProcessMemory memory, KmtSyncObject sync) {
        this.kmt = kmt;
        this.memory = memory;
        this.sync = sync;
    }

    @Override
    public long handle() {
        return sync.handle();
    }

    @Override
    public long completedValue() {
        return ByteBuffer.wrap(memory.read(sync.va(), 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Override
    public WaitResult waitFor(long value, long timeoutMillis) {
        return kmt.waitFromCpu(sync.handle(), value, timeoutMillis);
    }
}
