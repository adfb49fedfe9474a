package vidmm.internal;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import os.memmgr.MemoryException;
import vidmm.Allocation;
import vidmm.VidMmException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The lock order of the package documentation, under churn: VidMm calling into the OS under an
 * adapter's lock (MakeResident pins, trims unpin, devices register PASIDs) while the OS calls into
 * VidMm (a process exit tells VidMm, which takes the adapter's lock) and trims working sets, from
 * several threads at once. A call from the OS into VidMm made while the OS holds an address space's
 * lock would deadlock here; the JVM's deadlock detector names the threads.
 */
class LockOrderTest {
    Stack s = new Stack(64L << 20);
    /** Set when threads are stuck: stopping the stack would block on their locks too. */
    volatile boolean stuck;

    @AfterEach
    void stop() throws InterruptedException {
        if (!stuck) {
            s.stop();
        }
    }

    @Test
    void vidMmAndTheOsCallEachOtherFromManyThreadsWithoutDeadlock() throws Exception {
        long millis = Long.getLong("lockorder.millis", 1500);
        ConcurrentLinkedQueue<Integer> live = new ConcurrentLinkedQueue<>();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            long seed = t;
            threads.add(new Thread(() -> churn(new Random(seed), live, stop, unexpected), "gpu-user-" + t));
        }
        threads.add(new Thread(() -> killAndTrim(new Random(9), live, stop, unexpected), "os"));
        threads.forEach(t -> t.setDaemon(true)); // stuck ones must not keep the test JVM alive
        threads.forEach(Thread::start);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end) {
            failOnDeadlock(mx);
            Thread.sleep(50);
        }
        stop.set(true);
        for (Thread t : threads) {
            long until = System.nanoTime() + 10_000_000_000L;
            while (t.isAlive() && System.nanoTime() < until) {
                failOnDeadlock(mx);
                t.join(100);
            }
            if (t.isAlive()) {
                stuck = true;
                StringBuilder dump = new StringBuilder();
                for (StackTraceElement e : t.getStackTrace()) {
                    dump.append("\n\tat ").append(e);
                }
                fail(t.getName() + " did not finish within 10 s of the end (a lock cycle the deadlock detector cannot"
                        + " see, such as a wait on a monitor):" + dump);
            }
        }
        assertEquals(List.of(), unexpected, "calls failed other than by racing a process exit");
    }

    /** A process's life: a device, an allocation made resident, a fill, a VidMm trim, an exit (if nobody killed it first). */
    private void churn(Random random, ConcurrentLinkedQueue<Integer> live, AtomicBoolean stop, List<Throwable> unexpected) {
        while (!stop.get()) {
            try {
                int pid = s.mm.spawn("p");
                live.add(pid);
                long device = s.vidmm.createDevice(pid);
                Allocation a = s.vidmm.allocate(device, 4096L << random.nextInt(5), Set.of());
                s.vidmm.makeResident(device, List.of(a.handle()));
                long context = s.vidmm.context(device, random.nextBoolean() ? EngineNode.RENDER : EngineNode.COPY);
                long fence = s.vidmm.submit(context, List.of(new DmaCommand.Fill(a.va(), a.size(), 0x11)));
                s.vidmm.waitForFence(context, fence, 2000);
                s.vidmm.trim(pid, 0);
                if (live.remove(pid)) {
                    s.mm.kill(pid);
                }
            } catch (VidMmException | MemoryException raced) {
                // the OS thread killed the process under us: expected
            } catch (Throwable t) {
                unexpected.add(t);
            }
        }
    }

    /** The OS: kills processes others are using, and trims working sets. */
    private void killAndTrim(Random random, ConcurrentLinkedQueue<Integer> live, AtomicBoolean stop, List<Throwable> unexpected) {
        while (!stop.get()) {
            Integer pid = live.peek();
            if (pid == null) {
                Thread.onSpinWait();
                continue;
            }
            try {
                if (random.nextBoolean() && live.remove(pid)) {
                    s.mm.kill(pid);
                } else {
                    s.mm.trim(pid, 1000);
                }
            } catch (VidMmException | MemoryException raced) {
                // the process went meanwhile
            } catch (Throwable t) {
                unexpected.add(t);
            }
        }
    }

    private void failOnDeadlock(ThreadMXBean mx) {
        long[] ids = mx.findDeadlockedThreads();
        if (ids != null) {
            stuck = true;
            StringBuilder dump = new StringBuilder("deadlock:\n");
            for (ThreadInfo info : mx.getThreadInfo(ids, true, true)) {
                dump.append(info);
            }
            fail(dump.toString());
        }
    }
}
