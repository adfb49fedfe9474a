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
}
