package vidmm.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import os.memmgr.AddressSpace;
import os.memmgr.MemoryManager;
import os.memmgr.PageProtection;
import vidmm.FenceWait;
import vidmm.VidMm;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * Where {@code vidmm:submit} writes the packets it assembles, as an application's UMD would: a ring of
 * {@link #BYTES} in each process's own memory (VirtualAlloc, locked: resident under either GPU fault
 * policy), made at the process's first shell submission. Packets go at the next 64-byte line; before
 * the ring wraps, every submission still using it is waited for (up to 5 s each), so nothing is
 * overwritten before the GPU fetched it. A process that exited (or an OS that restarted) gets a new
 * ring. Thread safe.
 */
final class ShellCommandRing {
    static final int BYTES = 64 * 1024;
    private static final int LINE = 64;

    private record Use(long context, long fence) {
    }

    private static final class Ring {
        /** The process's page-table root: a process that exited (or an OS that restarted) has another. */
        final long root;
        final AddressSpace space;
        final long va;
        int next;
        final List<Use> uses = new ArrayList<>();

        Ring(AddressSpace space, long va) {
            this.root = space.pageTableRoot();
            this.space = space;
            this.va = va;
        }
    }

    private final MemoryManager mm;
    private final VidMm vidmm;
    private final Map<Integer, Ring> rings = new HashMap<>();

    ShellCommandRing(MemoryManager mm, VidMm vidmm) {
        this.mm = mm;
        this.vidmm = vidmm;
    }

    /**
     * Writes {@code packets} into process {@code pid}'s ring and submits them on {@code context}
     * (D3DKMTSubmitCommand of their VA and length); returns the fence and the VA they are at.
     */
    synchronized long[] submit(int pid, long context, byte[] packets) {
        if (packets.length > BYTES) {
            throw new IllegalArgumentException("COMMANDS make " + packets.length + " bytes of packets, more than the "
                    + BYTES + "-byte command ring");
        }
        Ring ring = ring(pid);
        if (ring.next + packets.length > BYTES) {
            for (Use u : ring.uses) { // the ring wraps: what still uses it must have been fetched
                if (vidmm.waitForFence(u.context(), u.fence(), ContextCommands.SUBMIT_WAIT_MILLIS) == FenceWait.TIMED_OUT) {
                    throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "process " + pid + "'s command ring is full:"
                            + " fence " + u.fence() + " of context 0x" + Long.toHexString(u.context()) + " has not completed");
                }
            }
            ring.uses.clear();
            ring.next = 0;
        }
        long va = ring.va + ring.next;
        Calls.os(() -> {
            ring.space.write(va, packets);
            return null;
        });
        long fence = vidmm.submitBuffer(context, va, packets.length);
        ring.uses.add(new Use(context, fence));
        ring.next += (packets.length + LINE - 1) / LINE * LINE;
        return new long[] {fence, va};
    }

    private Ring ring(int pid) {
        AddressSpace space = Calls.os(() -> mm.addressSpace(pid));
        Ring ring = rings.get(pid);
        if (ring != null && ring.root == space.pageTableRoot()) {
            return ring;
        }
        long va = Calls.os(() -> space.allocate(BYTES, PageProtection.READWRITE));
        Calls.os(() -> space.pin(va, BYTES, false));
        ring = new Ring(space, va);
        rings.put(pid, ring);
        return ring;
    }
}
