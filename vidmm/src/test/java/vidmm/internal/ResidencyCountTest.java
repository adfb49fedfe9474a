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
 * WDDM 2 residency against a reference model of the counts, seeded: MakeResident, Evict, budget
 * evictions (a MakeResident over the budget), OS trims (VidMm.trim), destroy and new allocations in
 * any order. After every step each allocation is resident exactly when its model count is above 0,
 * the process's usage is the sum of its resident sizes, a refused call (an Evict of what is not
 * resident, a MakeResident nothing can make room for) changes nothing, and the trim notifications
 * the device reads name exactly the allocations evicted behind its back and not made resident since.
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
    final Set<Long> notified = new LinkedHashSet<>();
    long clock;

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
                notified.remove(handles.get(i));
                handles.set(i, allocate(device, random));
            } else {
                what = "QueryVideoMemoryInfo";
                assertEquals(List.copyOf(notified), vidmm.queryVideoMemoryInfo(device).evicted(), context(seed, step, what));
                notified.clear();
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

    /** The model of MakeResident: make room (least recently used first, none of {@code list}), or refuse all of it. */
    private void makeResident(long device, List<Long> list) {
        long more = 0;
        for (long h : list) {
            if (model.get(h)[1] == 0) {
                more += model.get(h)[0];
            }
        }
        long over = usage() + more - BUDGET;
        List<Long> victims = new ArrayList<>();
        for (long h : lru()) {
            if (over <= 0) {
                break;
            }
            if (!list.contains(h)) {
                victims.add(h);
                over -= model.get(h)[0];
            }
        }
        if (over > 0) {
            VidMmException e = assertThrowsStatus(() -> vidmm.makeResident(device, list));
            assertEquals(VidMmStatus.NO_VIDEO_MEMORY, e.status(), e.getMessage());
            return;
        }
        vidmm.makeResident(device, list);
        for (long v : victims) {
            model.get(v)[1] = 0;
            notified.add(v);
        }
        for (long h : list) {
            model.get(h)[1]++;
            model.get(h)[2] = ++clock;
            notified.remove(h);
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

    private void trim(int pid, long target) {
        long freed = 0;
        for (long h : lru()) {
            if (usage() <= target) {
                break;
            }
            model.get(h)[1] = 0;
            notified.add(h);
            freed += model.get(h)[0];
        }
        assertEquals(freed, vidmm.trim(pid, target), "bytes trimmed");
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
