package iommu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class PerThreadCounterTest {
    @Test
    void countsExactlyAcrossManyThreads() throws InterruptedException {
        PerThreadCounter counter = new PerThreadCounter();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 1100; t++) { // many short-lived threads, each with its own cell
            threads.add(new Thread(() -> {
                for (int i = 0; i < 1005; i++) {
                    counter.increment();
                }
            }));
        }
        for (int batch = 0; batch < threads.size(); batch += 50) { // fifty at a time, racing
            List<Thread> running = threads.subList(batch, Math.min(threads.size(), batch + 50));
            running.forEach(Thread::start);
            for (Thread t : running) {
                t.join();
            }
        }
        assertEquals(1100L * 1005, counter.sum());
    }
}
