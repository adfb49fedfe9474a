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

import vidmm.VideoMemoryInfo;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * Residency bookkeeping against the per-process budget: bytes resident per process, least recently
 * used order, and the evictions each device has not been told of yet; pinning (MakeResident) and
 * unpinning (Evict) through the OS. Guarded by the adapter's lock, which its OS calls let go (they are
 * part of a change: the adapter's call order stays held).
 */
final class Residency {
    private final AdapterState adapter;
    private final long budget;
    private final Map<Integer, Long> residentBytes = new HashMap<>();
    private final Map<Integer, Long> evictions = new HashMap<>();
    private long clock;

    Residency(AdapterState adapter, long budgetBytes) {
        this.adapter = adapter;
        this.budget = budgetBytes;
    }

    /**
     * Pins what of {@code list} is not resident yet and counts a reference on each, all or nothing.
     * Over the budget, the process's least recently used idle allocations (none of {@code list},
     * none displayed) are evicted once the pins succeeded, and their devices told at their next
     * D3DKMTQueryVideoMemoryInfo.
     */
    void makeResident(DeviceState d, List<AllocationState> list,
                      Collection<AllocationState> all, Set<AllocationState> displayed) {
        long more = 0;
        Set<AllocationState> toPin = new LinkedHashSet<>();
        for (AllocationState a : list) {
            if (a.pin == null && toPin.add(a)) {
                more += a.size;
            }
        }
        List<AllocationState> evict = victims(d.pid, more, all, new HashSet<>(list), displayed);
        List<AllocationState> pinned = new ArrayList<>();
        try {
            for (AllocationState a : toPin) {
                // present; the IOMMU checks rights per access
                a.pin = adapter.os(() -> adapter.mm.addressSpace(d.pid).pin(a.va, a.size, false));
                pinned.add(a);
            }
        } catch (VidMmException e) {
            for (AllocationState a : pinned) {
                adapter.osQuietly(() -> adapter.mm.addressSpace(d.pid).unpin(a.pin.handle()));
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
            used(a);
        }
    }

    /**
     * Trims {@code pid} to at most {@code target} bytes resident, as the OS does when memory is needed
     * elsewhere: its least recently used idle allocations (not displayed) are evicted, as many as it
     * takes or as there are, and their devices told at their next D3DKMTQueryVideoMemoryInfo (a trim
     * notification). Returns the bytes evicted.
     */
    long trim(int pid, long target, Collection<AllocationState> all, Set<AllocationState> displayed) {
        List<AllocationState> candidates = new ArrayList<>();
        for (AllocationState a : all) {
            if (a.device.pid == pid && a.pin != null && !displayed.contains(a) && idle(a)) {
                candidates.add(a);
            }
        }
        candidates.sort(Comparator.comparingLong(a -> a.lastUse));
        long freed = 0;
        for (AllocationState a : candidates) {
            if (usage(pid) <= target) {
                break;
            }
            unpin(a);
            evictedForBudget(a);
            freed += a.size;
        }
        return freed;
    }

    /**
     * Evict: one reference less on each of {@code list} (an allocation listed twice loses two), all
     * or nothing; one whose last reference goes is unpinned.
     *
     * @throws VidMmException INVALID_PARAMETER naming the first allocation that has no reference left to drop
     */
    void evict(List<AllocationState> list) {
        for (int i = 0; i < list.size(); i++) {
            AllocationState a = list.get(i);
            if (a.residencyRefs - java.util.Collections.frequency(list.subList(0, i), a) <= 0) {
                throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "allocation 0x" + Long.toHexString(a.handle)
                        + " is not resident");
            }
        }
        for (AllocationState a : list) {
            if (--a.residencyRefs == 0) {
                unpin(a);
            }
        }
    }

    /** Unpins an allocation: the OS may trim it again. */
    void unpin(AllocationState a) {
        adapter.osQuietly(() -> adapter.mm.addressSpace(a.device.pid).unpin(a.pin.handle()));
        a.pin = null;
        a.residencyRefs = 0;
        unpinned(a);
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

    /** A MakeResident uses {@code a} now: it goes to the back of the eviction order. */
    private void used(AllocationState a) {
        a.lastUse = ++clock;
    }

    /**
     * Whether {@code a} may be evicted for the budget now: no context of its device has work queued.
     * (With no allocation list, VidMm cannot tell which of a device's allocations its queued work
     * uses; in the IoMmu model evicting one would still be safe, the GPU's accesses then going
     * through page requests, but slow.)
     */
    private static boolean idle(AllocationState a) {
        return a.device.idle();
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
