package iommu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import org.junit.jupiter.api.Test;

import iommu.hw.Invalidation;

/**
 * Fills racing invalidations, against a reference table: fillers "walk" (read a page's current frame
 * from the table, after reading the IOTLB's generation) and store; one invalidator changes pages and
 * invalidates them, by range or by PASID, and checks that no entry older than its change survives (a
 * fill that walked before an invalidation must not store after it). PASID 3 is filled from half time
 * on, after invalidations found nothing of it. Seeded.
 */
class IotlbRaceTest {
    static final int PASIDS = 3;
    static final int PAGES = 32;
    static final long BASE = 0x4000_0000L;

    @Test
    void noInvalidationLeavesAnEntryOlderThanTheChangeItFollows() throws Exception {
        long seed = System.nanoTime();
        Iotlb iotlb = new Iotlb(64);
        AtomicLongArray frames = new AtomicLongArray((PASIDS + 1) * PAGES); // the "page table": a frame number per page
        for (int i = 0; i < frames.length(); i++) {
            frames.set(i, 1);
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean third = new AtomicBoolean(); // PASID 3 is filled from half time on
        AtomicLong stale = new AtomicLong();
        StringBuilder firstStale = new StringBuilder();
        Thread[] fillers = new Thread[2];
        for (int t = 0; t < fillers.length; t++) {
            Random rnd = new Random(seed + t);
            fillers[t] = new Thread(() -> {
                while (!stop.get()) {
                    int pasid = 1 + rnd.nextInt(third.get() ? PASIDS : PASIDS - 1);
                    int page = rnd.nextInt(PAGES);
                    long generation = iotlb.generation();
                    long frame = frames.get(pasid * PAGES + page); // the walk
                    iotlb.store(pasid, BASE + page * 4096L, frame << 12 | 0x3, generation);
                }
            });
        }
        Random rnd = new Random(seed - 1);
        for (Thread f : fillers) {
            f.start();
        }
        long start = System.nanoTime();
        long deadline = start + 1_500_000_000L;
        int rounds = 0;
        for (long now = start; now < deadline; now = System.nanoTime()) {
            third.set(now - start > (deadline - start) / 2);
            rounds++;
            int pasid = 1 + rnd.nextInt(PASIDS);
            boolean whole = rnd.nextInt(8) == 0;
            int page = rnd.nextInt(PAGES);
            if (whole) {
                for (int p = 0; p < PAGES; p++) {
                    frames.incrementAndGet(pasid * PAGES + p);
                }
                iotlb.invalidate(new Invalidation.OfPasid(pasid));
            } else {
                frames.incrementAndGet(pasid * PAGES + page);
                iotlb.invalidate(new Invalidation.OfRange(pasid, BASE + page * 4096L, 4096));
            }
            for (int p = whole ? 0 : page; p < (whole ? PAGES : page + 1); p++) {
                long changed = frames.get(pasid * PAGES + p);
                long word = iotlb.lookup4k(pasid, BASE + p * 4096L);
                if (word != Iotlb.MISS && (word >>> 12) < changed && stale.getAndIncrement() == 0) {
                    firstStale.append("PASID ").append(pasid).append(" page ").append(p).append(": frame ")
                            .append(word >>> 12).append(" cached after frame ").append(changed).append(" replaced it");
                }
            }
        }
        stop.set(true);
        for (Thread f : fillers) {
            f.join();
        }
        assertEquals(0, stale.get(), "seed " + seed + ": " + firstStale);
        assertTrue(rounds > 1000, "only " + rounds + " rounds");
    }
}
