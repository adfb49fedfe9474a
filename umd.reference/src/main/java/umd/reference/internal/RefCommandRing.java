package umd.reference.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import gpu.hw.BufferSubmission;
import gpu.hw.CommandPackets;
import gpu.hw.GpuCommand;
import kmd.api.DmaCommand;
import kmd.sdk.Hardware;
import umd.api.KernelThunks;
import umd.api.KmtAllocation;
import umd.api.ProcessMemory;
import umd.api.ThunkException;
import umd.api.WaitResult;

/**
 * A device's command buffers: one allocation of the process's memory used as a ring. A submission's
 * commands are written there as the hardware's packets ({@link CommandPackets}) by the CPU, and
 * submitted by address and length (D3DKMTSubmitCommand); the GPU fetches them at the same address
 * through the IOMMU. Space is written again only once the submissions that used it completed: before
 * the ring wraps, the device waits for its last submission, as a D3D12 command allocator may be reset
 * only once the GPU is done with it.
 */
final class RefCommandRing {
    /** The ring's size. */
    static final int BYTES = 256 << 10;
    /** How long a wrap waits for the ring's last submission. */
    private static final long WRAP_WAIT_MILLIS = 10_000;

    private final KernelThunks kmt;
    private final ProcessMemory memory;
    private final long context;
    private final KmtAllocation allocation;
    /** Where the next buffer starts, from the ring's start. */
    private int next;
    private long lastFence;

    /** Allocates the ring on {@code device}; it is made resident with each submission's allocations. */
    RefCommandRing(KernelThunks kmt, ProcessMemory memory, long device, long context) {
        this.kmt = kmt;
        this.memory = memory;
        this.context = context;
        this.allocation = kmt.allocate(device, BYTES, Set.of());
    }

    /** The ring's allocation handle, for the residency list. */
    long allocation() {
        return allocation.handle();
    }

    /**
     * Writes {@code commands} as packets into the ring and submits them on the context, in as many
     * buffers as they take; returns the last submission's fence value.
     */
    long submit(List<DmaCommand> commands) {
        List<GpuCommand> chunk = new ArrayList<>();
        int bytes = 0;
        long fence = lastFence;
        for (DmaCommand c : commands) {
            GpuCommand packet = Hardware.encode(c);
            int length = CommandPackets.length(packet);
            if (bytes + length > Math.min(BYTES, BufferSubmission.MAX_BYTES)) {
                fence = submitChunk(chunk);
                chunk = new ArrayList<>();
                bytes = 0;
            }
            chunk.add(packet);
            bytes += length;
        }
        if (!chunk.isEmpty()) {
            fence = submitChunk(chunk);
        }
        return fence;
    }

    private long submitChunk(List<GpuCommand> chunk) {
        byte[] packets = CommandPackets.encode(chunk);
        if (next + packets.length > BYTES) { // wrap: what the ring's start held must have run
            if (lastFence != 0) {
                WaitResult done = kmt.waitForFence(context, lastFence, WRAP_WAIT_MILLIS);
                if (done == WaitResult.TIMEOUT) {
                    throw new ThunkException("TIMEOUT", "the command ring's last submission (fence " + lastFence
                            + ") did not complete within " + WRAP_WAIT_MILLIS / 1000 + " s; nothing submitted", null);
                }
            }
            next = 0;
        }
        long va = allocation.va() + next;
        memory.write(va, packets);
        lastFence = kmt.submitCommandBuffer(context, va, packets.length);
        next += (packets.length + 63) & ~63; // each buffer starts on a 64-byte line
        return lastFence;
    }
}
