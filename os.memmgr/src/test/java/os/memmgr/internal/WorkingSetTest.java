package os.memmgr.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The working set against a plain set, over random adds and removes (seeded; the seed is in the message). */
class WorkingSetTest {
    @Test
    void agreesWithASetAndTheClockVisitsEveryPage() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        WorkingSet ws = new WorkingSet();
        Set<Long> model = new HashSet<>();
        for (int op = 0; op < 200_000; op++) {
            long va = 0x10000L + ((long) rnd.nextInt(5000) << 12);
            if (rnd.nextInt(3) == 0) {
                ws.remove(va);
                model.remove(va);
            } else {
                ws.add(va);
                model.add(va);
            }
            if (op % 997 == 0) {
                assertEquals(model.size(), ws.size(), "seed " + seed);
                assertEquals(model.contains(va), ws.contains(va), "seed " + seed);
            }
        }
        List<Long> seen = new ArrayList<>();
        for (int i = 0; i < ws.size(); i++) {
            seen.add(ws.next());
        }
        assertEquals(model, new HashSet<>(seen), "seed " + seed + ": one turn of the clock visits every page once");
        assertEquals(model.size(), seen.size(), "seed " + seed);
    }

    /**
     * Ranges removed, small (page by page) and large (one pass), among adds and removes: the set agrees
     * with a plain set, and a range removed in one pass leaves the clock hand on the page it was on, or
     * on the next page kept.
     */
    @Test
    void rangesLeaveAsASetSaysAndTheHandKeepsItsPlace() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        WorkingSet ws = new WorkingSet();
        Set<Long> model = new HashSet<>();
        int bulk = 0;
        for (int op = 0; op < 20_000; op++) {
            long va = 0x10000L + ((long) rnd.nextInt(2000) << 12);
            int kind = rnd.nextInt(20);
            if (kind == 0) {
                long to = va + ((long) (1 + rnd.nextInt(rnd.nextBoolean() ? 1500 : 20)) << 12);
                boolean onePass = ((to - va) >>> 12) * 4 >= ws.size();
                List<Long> turn = new ArrayList<>();
                for (int i = 0; i < ws.size(); i++) {
                    turn.add(ws.next()); // one whole turn: the hand is back where it was
                }
                ws.removeRange(va, to);
                model.removeIf(p -> p >= va && p < to);
                assertEquals(model.size(), ws.size(), "seed " + seed + ", op " + op);
                if (onePass && !model.isEmpty()) {
                    bulk++;
                    long expected = turn.stream().filter(p -> p < va || p >= to).findFirst().orElseThrow();
                    assertEquals(expected, ws.next(), "seed " + seed + ", op " + op + ": the hand's page after the range left");
                }
            } else if (kind < 6) {
                ws.remove(va);
                model.remove(va);
            } else {
                ws.add(va);
                model.add(va);
            }
            assertEquals(model.contains(va), ws.contains(va), "seed " + seed + ", op " + op);
        }
        for (long p : model) {
            assertEquals(true, ws.contains(p), "seed " + seed + ": page 0x" + Long.toHexString(p) + " kept");
        }
        assertEquals(model.size(), ws.size(), "seed " + seed);
        assertEquals(true, bulk > 10, "seed " + seed + ": ranges removed in one pass: " + bulk);
    }
}
