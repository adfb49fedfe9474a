package vidmm.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import vidmm.Allocation;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * WDDM 2 residency against a reference model of the counts, seeded: MakeResident (refused over the
 * budget with NumBytesToTrim), Evict, OS trims (VidMm.trim), destroy and new allocations in any order. After every step each allocation is resident exactly when its model count is above 0,
 * the process's usage is the sum of its resident sizes, a refused call (an Evict of what is not
 * resident, a MakeResident over the budget) changes nothing, and a trim asks the device's trim
 * notification for exactly the bytes over the target while VidMm itself evicts nothing.
 * Replay a seed with {@code -Dresidency.seed=N}; {@code -Dresidency.steps=N} for a longer run.
 */
class ResidencyCountTest {
    /** VidMm's budget is whole MiB: allocations are 64 KiB units, six of them at most 1152 KiB. */
    static final long BUDGET = 1L << 20;
    static final long UNIT = 64 * 1024;

    final TestMachine machine = TestMachine.builder().memory(64L << 20).sources(1, 64, 48)
            .reference(TestMachine.IOMMU, 16L << 20).budget(BUDGET).build();
    final WindowsMemoryManager mm = machine.os();
    final VideoMemoryManager vidmm = machine.vidmm();

    /** The model: per allocation handle, its size, count and last use; the notifications not yet read. */
    final Map<Long, long[]> model = new HashMap<>(); // handle -> {size, count, lastUse}
    long clock;
    /** What the last trim notification asked for (-1: not called). */
    long asked;

    @AfterEach
    void off() throws InterruptedException {
        machine.close();
    }

    @Test
    void countsFollowTheModelWhateverTheOrder() {
        long seed = Long.getLong("residency.seed", System.nanoTime());
        int steps = Integer.getInteger("residency.steps", 2000);
        Random random = new Random(seed);
        int pid = mm.spawn("app");
        long device = vidmm.createDevice(pid);
        vidmm.registerTrimNotification(device, bytes -> trimmed(device, bytes)); // as a UMD's TrimResidencySet
        List<Long> handles = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            handles.add(allocate(device, random));
        }
        for (int step = 0; step < steps; step++) {
            String what;
            int op = random.nextInt(10);
            if (op < 4) {
                List<Long> list = new ArrayList<>(handles);
                java.util.Collections.shuffle(list, random);
                list = list.subList(0, 1 + random.nextInt(3));
                what = "MakeResident " + hex(list);
                makeResident(device, list);
            } else if (op < 7) {
                long h = handles.get(random.nextInt(handles.size()));
                what = "Evict " + hex(List.of(h));
                evict(device, h);
            } else if (op < 8) {
                long target = random.nextInt((int) (BUDGET / UNIT) + 1) * UNIT;
                what = "trim to " + target;
                trim(pid, target);
            } else if (op < 9) {
                int i = random.nextInt(handles.size());
                what = "destroy " + hex(List.of(handles.get(i)));
                vidmm.destroyAllocation(device, handles.get(i));
                model.remove(handles.get(i));
                handles.set(i, allocate(device, random));
            } else {
                what = "QueryVideoMemoryInfo";
                var info = vidmm.queryVideoMemoryInfo(device);
                assertEquals(usage(), info.currentUsage(), context(seed, step, what));
                assertEquals(BUDGET - usage(), info.availableForReservation(), context(seed, step, what));
            }
            check(pid, seed, step, what);
        }
    }

    private long allocate(long device, Random random) {
        long size = UNIT * (1 + random.nextInt(3));
        Allocation a = vidmm.allocate(device, size, Set.of());
        model.put(a.handle(), new long[] {a.size(), 0, 0});
        return a.handle();
    }

    /** The model of MakeResident: within the budget it counts; over it, it is refused and changes nothing (NumBytesToTrim). */
    private void makeResident(long device, List<Long> list) {
        long more = 0;
        for (long h : new LinkedHashSet<>(list)) {
            if (model.get(h)[1] == 0) {
                more += model.get(h)[0];
            }
        }
        long over = usage() + more - BUDGET;
        if (over > 0) {
            VidMmException e = assertThrowsStatus(() -> vidmm.makeResident(device, list));
            assertEquals(VidMmStatus.NO_VIDEO_MEMORY, e.status(), e.getMessage());
            assertEquals(true, e.getMessage().contains("NumBytesToTrim " + over), e.getMessage());
            return;
        }
        vidmm.makeResident(device, list);
        for (long h : list) {
            model.get(h)[1]++;
            model.get(h)[2] = ++clock;
        }
    }

    private void evict(long device, long h) {
        if (model.get(h)[1] == 0) {
            assertEquals(VidMmStatus.INVALID_PARAMETER, assertThrowsStatus(() -> vidmm.evict(device, List.of(h))).status());
            return;
        }
        vidmm.evict(device, List.of(h));
        model.get(h)[1]--;
    }

    /**
     * The OS asks for a trim: the device's notification is told the bytes over {@code target} (and not
     * called when there are none); VidMm itself evicts nothing, and the usage falls by what the
     * callback evicted.
     */
    private void trim(int pid, long target) {
        long before = usage();
        asked = -1;
        long freed = vidmm.trim(pid, target);
        assertEquals(before > target ? before - target : -1, asked, "NumBytesToTrim told");
        assertEquals(before - usage(), freed, "bytes trimmed");
    }

    /** The test's TrimResidencySet: evicts least recently used allocations (every reference) until {@code bytes} are covered. */
    private void trimmed(long device, long bytes) {
        asked = bytes;
        long left = bytes;
        for (long h : lru()) {
            if (left <= 0) {
                break;
            }
            long[] m = model.get(h);
            List<Long> refs = java.util.Collections.nCopies((int) m[1], h);
            assertEquals(0, vidmm.evict(device, refs), "within the budget: nothing more to trim");
            m[1] = 0;
            left -= m[0];
        }
    }

    /** Resident allocations, least recently used first. */
    private List<Long> lru() {
        return model.entrySet().stream().filter(e -> e.getValue()[1] > 0)
                .sorted(Comparator.comparingLong(e -> e.getValue()[2])).map(Map.Entry::getKey).toList();
    }

    private long usage() {
        return model.values().stream().filter(m -> m[1] > 0).mapToLong(m -> m[0]).sum();
    }

    private void check(int pid, long seed, int step, String what) {
        for (Allocation a : vidmm.allocations()) {
            long[] m = model.get(a.handle());
            assertEquals(m[1] > 0, a.resident(), context(seed, step, what) + ": allocation 0x" + Long.toHexString(a.handle())
                    + " has model count " + m[1]);
        }
        assertEquals(usage(), vidmm.videoMemoryInfo(pid).currentUsage(), context(seed, step, what) + ": usage");
    }

    private static VidMmException assertThrowsStatus(Runnable call) {
        try {
            call.run();
        } catch (VidMmException e) {
            return e;
        }
        return fail("the call was accepted; the model refuses it");
    }

    private static String hex(List<Long> handles) {
        return handles.stream().map(h -> "0x" + Long.toHexString(h)).toList().toString();
    }

    private static String context(long seed, int step, String what) {
        return "seed " + seed + " (replay with -Dresidency.seed=" + seed + "), step " + step + " (" + what + ")";
    }
}
