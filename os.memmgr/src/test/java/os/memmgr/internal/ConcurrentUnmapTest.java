package os.memmgr.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import iommu.hw.DmaResult;
import os.memmgr.AddressSpace;
import os.memmgr.PageProtection;

/**
 * DMA threads of process A read and write A's pages while another thread decommits them, hands the
 * freed frames to process B (frames are reused last in, first out), and recommits A's pages. No DMA
 * of A may ever see B's bytes, and B must never find A's bytes in its frames.
 */
class ConcurrentUnmapTest {
    static final int PAGES = 8;
    static final byte A = (byte) 0xAA;
    static final byte A_GPU = (byte) 0xA5;
    static final byte B = (byte) 0xBB;

    @Test
    void noDmaReachesAFrameAfterItWasGivenToAnotherProcess() throws Exception {
        int cycles = Integer.getInteger("svm.cycles", 1500);
        Machine m = new Machine(64L << 20);
        long freeAtStart = m.mm.frames().free(); // all but frame 0 and the IOMMU unit's tables
        int pidA = m.mm.spawn("a");
        int pidB = m.mm.spawn("b");
        AddressSpace a = m.mm.addressSpace(pidA);
        AddressSpace b = m.mm.addressSpace(pidB);
        int pasidA = m.mm.bindIommu(pidA);
        long va = a.allocate(PAGES * 4096L, PageProtection.READWRITE);
        fill(a, va, A);

        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> violation = new AtomicReference<>();
        AtomicLong completedReads = new AtomicLong();
        AtomicLong faultedReads = new AtomicLong();
        Runnable reader = () -> {
            byte[] buffer = new byte[PAGES * 4096];
            while (!stop.get() && violation.get() == null) {
                Arrays.fill(buffer, (byte) 0);
                DmaResult r = m.iommu.read(pasidA, va, buffer);
                for (int i = 0; i < r.bytesTransferred(); i++) {
                    if (buffer[i] == B) {
                        violation.set("DMA of A read B's byte at offset " + i);
                        return;
                    }
                }
                (r.completed() ? completedReads : faultedReads).incrementAndGet();
            }
        };
        Runnable writer = () -> {
            byte[] data = new byte[PAGES * 4096];
            Arrays.fill(data, A_GPU);
            while (!stop.get() && violation.get() == null) {
                m.iommu.write(pasidA, va, data);
            }
        };
        Thread[] threads = {new Thread(reader), new Thread(reader), new Thread(writer)};
        for (Thread t : threads) {
            t.start();
        }
        try {
            for (int cycle = 0; cycle < cycles && violation.get() == null; cycle++) {
                a.decommit(va, PAGES * 4096L);
                long vb = b.allocate(PAGES * 4096L, PageProtection.READWRITE);
                fill(b, vb, B);
                byte[] back = b.read(vb, PAGES * 4096);
                for (int i = 0; i < back.length; i++) {
                    if (back[i] != B) {
                        violation.set("B found byte " + back[i] + " of A in its frame at offset " + i);
                        break;
                    }
                }
                b.release(vb);
                a.commit(va, PAGES * 4096L, PageProtection.READWRITE);
                fill(a, va, A);
            }
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
        }
        assertEquals(null, violation.get());
        assertTrue(completedReads.get() + faultedReads.get() > 0, "the DMA threads ran");
        m.mm.kill(pidA);
        m.mm.kill(pidB);
        assertEquals(freeAtStart, m.mm.frames().free(), "every frame returned");
    }

    static void fill(AddressSpace as, long va, byte value) {
        byte[] data = new byte[PAGES * 4096];
        Arrays.fill(data, value);
        as.write(va, data);
    }
}
