package os.memmgr.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

import os.memmgr.MemoryException;
import os.memmgr.Status;

/**
 * The paging policy in one place: when free frames fall under the low-water mark, working sets are
 * trimmed (largest first) until free frames are back above twice the mark; when no frame is free at
 * all, trimming is tried harder before an allocation fails with NO_MEMORY.
 *
 * <p>The allocating thread trims, holding its own process's lock: it trims its own working set
 * (the lock is reentrant) and other processes' only if their lock is free (or frees up within a few
 * milliseconds when frames are exhausted), so two processes short of frames never deadlock.
 */
final class Trimmer {
    private static final int BATCH = 64;
    /** Allocations to let pass without a trim after a trim that freed nothing. */
    private static final int BACKOFF = 256;

    private final FrameDatabase frames;
    private final Supplier<Collection<ProcessAddressSpace>> processes;
    private volatile long lowWater;
    private int backoff;

    Trimmer(FrameDatabase frames, Supplier<Collection<ProcessAddressSpace>> processes, long lowWaterFrames) {
        this.frames = frames;
        this.processes = processes;
        this.lowWater = lowWaterFrames;
    }

    long lowWater() {
        return lowWater;
    }

    void setLowWater(long frames) {
        lowWater = frames;
    }

    /** A frame for {@code requester} (null: no process asks, e.g. a section page made by the kernel). */
    long allocate(FrameDatabase.State state, ProcessAddressSpace requester) {
        if (frames.freeFrames() < lowWater && shouldBalance()) {
            long freed = balance(requester, 2 * lowWater, 0);
            synchronized (this) {
                backoff = freed == 0 ? BACKOFF : 0;
            }
        }
        for (int attempt = 0; ; attempt++) {
            try {
                return frames.allocate(state);
            } catch (MemoryException none) {
                if (attempt == 3 || balance(requester, 1 + BATCH, attempt * 5L) == 0 && attempt > 0) {
                    throw new MemoryException(Status.NO_MEMORY, "no free frame, and trimming freed none"
                            + " (pinned pages, page tables and section pages stay resident; the pagefile may be full)");
                }
            }
        }
    }

    private synchronized boolean shouldBalance() {
        if (backoff > 0) {
            backoff--;
            return false;
        }
        return true;
    }

    /** Trims working sets, largest first, until {@code target} frames are free; returns pages trimmed. */
    private long balance(ProcessAddressSpace requester, long target, long waitMillis) {
        // sizes change while other processes run: sort a snapshot, so that the order is consistent
        record Sized(ProcessAddressSpace space, int size) {
        }
        List<Sized> order = new ArrayList<>();
        for (ProcessAddressSpace space : processes.get()) {
            order.add(new Sized(space, space.workingSetSize()));
        }
        order.sort(Comparator.comparingInt(Sized::size).reversed());
        long trimmed = 0;
        for (Sized sized : order) {
            ProcessAddressSpace space = sized.space();
            long need = target - frames.freeFrames();
            if (need <= 0) {
                break;
            }
            trimmed += space.tryTrim(Math.max(BATCH, need), space == requester ? 0 : waitMillis);
        }
        return trimmed;
    }
}
