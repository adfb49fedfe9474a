package vidmm.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import vidmm.VideoMemoryInfo;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * Residency bookkeeping against the per-process budget (WDDM 2): bytes resident per process; pinning
 * (MakeResident, refused over the budget with NumBytesToTrim unless CantTrimFurther) and unpinning
 * (Evict) through the OS. VidMm never evicts to make room: the UMD chooses, told by MakeResident's
 * NumBytesToTrim, Evict's, and trim notifications. Guarded by the adapter's lock, which its OS calls
 * let go (they are part of a change: the adapter's call order stays held).
 */
final class Residency {
    private final AdapterState adapter;
    private final long budget;
    private final Map<Integer, Long> residentBytes = new HashMap<>();

    Residency(AdapterState adapter, long budgetBytes) {
        this.adapter = adapter;
        this.budget = budgetBytes;
    }

    /**
     * Pins what of {@code list} is not resident yet and counts a reference on each, all or nothing.
     * Over the process's budget it changes nothing and returns the bytes to trim (WDDM 2: MakeResident
     * fails with E_OUTOFMEMORY and D3DDDI_MAKERESIDENT.NumBytesToTrim), unless {@code cantTrimFurther}
     * (D3DDDI_MAKERESIDENT_FLAGS.CantTrimFurther: made resident over the budget). Returns 0 when done.
     *
     * @throws VidMmException the OS's refusal to pin (nothing is left pinned)
     */
    long makeResident(DeviceState d, List<AllocationState> list, boolean cantTrimFurther) {
        long more = 0;
        Set<AllocationState> toPin = new LinkedHashSet<>();
        for (AllocationState a : list) {
            if (a.pin == null && toPin.add(a)) {
                more += a.size;
            }
        }
        long over = usage(d.pid) + more - budget;
        if (over > 0 && !cantTrimFurther) {
            return over;
        }
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
        for (AllocationState a : toPin) {
            residentBytes.merge(a.device.pid, a.size, Long::sum);
        }
        for (AllocationState a : list) {
            a.residencyRefs++;
        }
        return 0;
    }

    /** The exception of a MakeResident refused with {@code numBytesToTrim} (for callers without the out field). */
    static VidMmException refusal(int pid, long numBytesToTrim) {
        return new VidMmException(VidMmStatus.NO_VIDEO_MEMORY, "MakeResident would take process " + pid
                + " over its budget: NumBytesToTrim " + numBytesToTrim + " (evict that much, then make resident again)");
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
        residentBytes.merge(a.device.pid, -a.size, Long::sum);
    }

    long usage(int pid) {
        return residentBytes.getOrDefault(pid, 0L);
    }

    /** NumBytesToTrim of a process now: how far it is over its budget (0 within it). */
    long overBudget(int pid) {
        return Math.max(0, usage(pid) - budget);
    }

    VideoMemoryInfo info(int pid) {
        long usage = usage(pid);
        return new VideoMemoryInfo(pid, budget, usage, Math.max(0, budget - usage));
    }
}
