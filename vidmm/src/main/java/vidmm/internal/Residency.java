package vidmm.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import vidmm.VideoMemoryInfo;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * Residency bookkeeping against the per-process budget: bytes resident per process, least recently
 * used order, which allocations unfinished submissions still reference, and the evictions each
 * device has not been told of yet. Guarded by VidMm's lock; it decides, VidMm pins and unpins.
 */
final class Residency {
    private final long budget;
    private final Map<Integer, Long> residentBytes = new HashMap<>();
    private final Map<Integer, Long> evictions = new HashMap<>();
    private long clock;

    Residency(long budgetBytes) {
        this.budget = budgetBytes;
    }

    long budget() {
        return budget;
    }

    long usage(int pid) {
        return residentBytes.getOrDefault(pid, 0L);
    }

    void pinned(AllocationState a) {
        residentBytes.merge(a.device.pid, a.size, Long::sum);
    }

    void unpinned(AllocationState a) {
        residentBytes.merge(a.device.pid, -a.size, Long::sum);
    }

    /** A submission (fence {@code fence} of its device) or a MakeResident uses {@code a} now. */
    void used(AllocationState a, long fence) {
        a.lastUse = ++clock;
        a.busyFence = Math.max(a.busyFence, fence);
    }

    /**
     * What to evict from {@code pid} so that {@code more} bytes fit in its budget: resident
     * allocations, least recently used first, that are not in {@code keep}, not displayed, and not
     * referenced by a submission that has not completed.
     *
     * @throws VidMmException NO_VIDEO_MEMORY naming the figures when even that is not enough
     */
    List<AllocationState> victims(int pid, long more, Collection<AllocationState> resident, Set<AllocationState> keep,
                                  Set<AllocationState> displayed) {
        long over = usage(pid) + more - budget;
        List<AllocationState> out = new ArrayList<>();
        if (over <= 0) {
            return out;
        }
        List<AllocationState> candidates = new ArrayList<>();
        for (AllocationState a : resident) {
            if (a.device.pid == pid && a.pin != null && !keep.contains(a) && !displayed.contains(a)
                    && a.device.done(a.busyFence)) {
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
    void evictedForBudget(AllocationState a) {
        evictions.merge(a.device.pid, 1L, Long::sum);
        a.device.evictedForBudget.add(a.handle);
    }

    VideoMemoryInfo info(int pid, List<Long> evicted) {
        long usage = usage(pid);
        return new VideoMemoryInfo(pid, budget, usage, Math.max(0, budget - usage), evictions.getOrDefault(pid, 0L),
                evicted);
    }
}
