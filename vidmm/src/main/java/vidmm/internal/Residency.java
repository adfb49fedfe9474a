package vidmm.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import os.memmgr.MemoryManager;
import vidmm.VideoMemoryInfo;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * Residency bookkeeping against the per-process budget: bytes resident per process, least recently
 * used order, which allocations unfinished submissions still reference, and the evictions each
 * device has not been told of yet; pinning (MakeResident) and unpinning (Evict) through the OS.
 * Guarded by VidMm's lock.
 */
final class Residency {
    private final MemoryManager mm;
    private final long budget;
    private final Map<Integer, Long> residentBytes = new HashMap<>();
    private final Map<Integer, Long> evictions = new HashMap<>();
    private long clock;

    Residency(MemoryManager mm, long budgetBytes) {
        this.mm = mm;
        this.budget = budgetBytes;
    }

    /**
     * Pins what of {@code list} is not resident yet and counts a reference on each, all or nothing.
     * Over the budget, the process's least recently used idle allocations (none of {@code inUse},
     * none displayed) are evicted once the pins succeeded, and their devices told at their next
     * D3DKMTQueryVideoMemoryInfo.
     */
    void makeResident(DeviceState d, List<AllocationState> list, List<AllocationState> inUse,
                      Collection<AllocationState> all, Set<AllocationState> displayed) {
        long more = 0;
        Set<AllocationState> toPin = new LinkedHashSet<>();
        for (AllocationState a : list) {
            if (a.pin == null && toPin.add(a)) {
                more += a.size;
            }
        }
        List<AllocationState> evict = victims(d.pid, more, all, new HashSet<>(inUse), displayed);
        List<AllocationState> pinned = new ArrayList<>();
        try {
            for (AllocationState a : toPin) {
                // present; the IOMMU checks rights per access
                a.pin = Calls.os(() -> mm.addressSpace(d.pid).pin(a.va, a.size, false));
                pinned.add(a);
            }
        } catch (VidMmException e) {
            for (AllocationState a : pinned) {
                Calls.quietly(() -> mm.addressSpace(d.pid).unpin(a.pin.handle()));
                a.pin = null;
            }
            throw e;
        }
        for (AllocationState v : evict) {
            unpin(v);
            evictedForBudget(v);
        }
        for (AllocationState a : toPin) {
            pinned(a);
            a.device.evictedForBudget.remove(a.handle);
        }
        for (AllocationState a : list) {
            a.residencyRefs++;
            used(a, null, 0);
        }
    }

    /** Unpins an allocation: the OS may trim it again. */
    void unpin(AllocationState a) {
        Calls.quietly(() -> mm.addressSpace(a.device.pid).unpin(a.pin.handle()));
        a.pin = null;
        a.residencyRefs = 0;
        unpinned(a);
    }

    long budget() {
        return budget;
    }

    long usage(int pid) {
        return residentBytes.getOrDefault(pid, 0L);
    }

    private void pinned(AllocationState a) {
        residentBytes.merge(a.device.pid, a.size, Long::sum);
    }

    private void unpinned(AllocationState a) {
        residentBytes.merge(a.device.pid, -a.size, Long::sum);
    }

    /** A submission (fence {@code fence} of {@code context}) or a MakeResident (no context) uses {@code a} now. */
    void used(AllocationState a, ContextState context, long fence) {
        a.lastUse = ++clock;
        if (context != null) {
            a.busy.merge(context, fence, Math::max);
        }
    }

    /** Whether no unfinished submission of any context references {@code a}. */
    private static boolean idle(AllocationState a) {
        a.busy.entrySet().removeIf(e -> e.getKey().done(e.getValue()));
        return a.busy.isEmpty();
    }

    /**
     * What to evict from {@code pid} so that {@code more} bytes fit in its budget: resident
     * allocations, least recently used first, that are not in {@code keep}, not displayed, and not
     * referenced by a submission that has not completed.
     *
     * @throws VidMmException NO_VIDEO_MEMORY naming the figures when even that is not enough
     */
    private List<AllocationState> victims(int pid, long more, Collection<AllocationState> resident, Set<AllocationState> keep,
                                  Set<AllocationState> displayed) {
        long over = usage(pid) + more - budget;
        List<AllocationState> out = new ArrayList<>();
        if (over <= 0) {
            return out;
        }
        List<AllocationState> candidates = new ArrayList<>();
        for (AllocationState a : resident) {
            if (a.device.pid == pid && a.pin != null && !keep.contains(a) && !displayed.contains(a)
                    && idle(a)) {
                candidates.add(a);
            }
        }
        candidates.sort(Comparator.comparingLong(a -> a.lastUse));
        for (AllocationState a : candidates) {
            if (over <= 0) {
                break;
            }
            out.add(a);
            over -= a.size;
        }
        if (over > 0) {
            throw new VidMmException(VidMmStatus.NO_VIDEO_MEMORY, "process " + pid + " would have " + (usage(pid) + more)
                    + " bytes resident, over its budget of " + budget + ", and evicting every idle allocation frees only "
                    + (usage(pid) + more - budget - over) + " bytes");
        }
        return out;
    }

    /** VidMm evicted {@code a} for the budget: its device learns of it at its next query. */
    private void evictedForBudget(AllocationState a) {
        evictions.merge(a.device.pid, 1L, Long::sum);
        a.device.evictedForBudget.add(a.handle);
    }

    VideoMemoryInfo info(int pid, List<Long> evicted) {
        long usage = usage(pid);
        return new VideoMemoryInfo(pid, budget, usage, Math.max(0, budget - usage), evictions.getOrDefault(pid, 0L),
                evicted);
    }
}
