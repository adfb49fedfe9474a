package vidmm.internal;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import gpu.hw.GpuAdapter;
import gpu.hw.internal.SimulatedGpu;
import kmd.api.AdapterInfo;
import kmd.api.DmaCommand;
import kmd.api.DriverCaps;
import kmd.api.EngineNode;
import kmd.api.PagingOperation;
import kmd.api.SegmentDescriptor;
import kmd.api.VidMmCaps;
import kmd.api.callbacks.InterruptNotification;
import kmd.sdk.AdapterContext;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import umd.api.AllocationCreateFlag;
import vidmm.Allocation;
import vidmm.FenceWait;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Presents and releases of primaries wait for their paging fences without the adapter's lock: with
 * a driver that reports GART paging fences only when the test lets it, another process's calls on
 * the same adapter go on while a present waits for its mapping, and a replaced primary keeps its
 * frames pinned until its unmap completed, then is released on the adapter's own thread.
 */
class PresentWaitTest {
    static final long BYTES = 64 * 48 * 4;

    /**
     * A kmd.sdk driver whose aperture paging fences complete when {@link #mapGate} (MapApertureSegment)
     * or {@link #unmapGate} (Unmap) opens; the GART write itself happens at once.
     */
    static final class LateGart extends AdapterContext {
        volatile CountDownLatch mapGate = new CountDownLatch(0);
        volatile CountDownLatch unmapGate = new CountDownLatch(0);
        final CountDownLatch mapIssued = new CountDownLatch(1);

        LateGart(GpuAdapter gpu) {
            super("late-gart", gpu, 2, 0x100);
        }

        @Override
        public AdapterInfo queryAdapterInfo() {
            return new AdapterInfo("late GART", new VidMmCaps(true, true, false, false, false),
                    new DriverCaps(gpu.aperture().size()), List.of(new SegmentDescriptor(1, "system", 0, true, false),
                            new SegmentDescriptor(2, "aperture", gpu.aperture().size(), true, true)));
        }

        @Override
        public void buildPagingBuffer(PagingOperation op, long fence) {
            CountDownLatch g;
            if (op instanceof PagingOperation.MapApertureSegment m) {
                gpu.mapAperture(m.firstPage(), m.frames());
                mapIssued.countDown();
                g = mapGate;
            } else if (op instanceof PagingOperation.UnmapApertureSegment u) {
                gpu.unmapAperture(u.firstPage(), u.pages());
                g = unmapGate;
            } else {
                super.buildPagingBuffer(op, fence);
                return;
            }
            Thread t = new Thread(() -> {
                try {
                    g.await();
                    notifyVidMm(new InterruptNotification.DmaCompleted(EngineNode.COPY, 0, fence));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "late-paging-fence-" + fence);
            t.setDaemon(true);
            t.start();
        }
    }

    final TestMachine machine = TestMachine.builder().driver(LateGart::new, "late-gart").build();
    final WindowsMemoryManager mm = machine.os();
    final SimulatedGpu gpu = machine.gpu();
    final LateGart kmd = (LateGart) machine.kmd();
    final VideoMemoryManager vidmm = machine.vidmm();

    @AfterEach
    void off() throws InterruptedException {
        kmd.mapGate.countDown();
        kmd.unmapGate.countDown();
        machine.close();
    }

    @Test
    void anotherProcessesCallsGoOnWhileAPresentWaitsForItsMapping() throws Exception {
        long showing = vidmm.createDevice(mm.spawn("shows"));
        Allocation primary = vidmm.allocate(showing, BYTES, Set.of(AllocationCreateFlag.PRIMARY));
        long other = vidmm.createDevice(mm.spawn("works"));
        long render = vidmm.createContext(other, EngineNode.RENDER, 0);
        kmd.mapGate = new CountDownLatch(1);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread presenter = new Thread(() -> {
            try {
                vidmm.present(showing, primary.handle(), 0);
            } catch (Throwable t) {
                failed.set(t);
            }
        }, "presenter");
        presenter.start();
        kmd.mapIssued.await();

        Allocation buffer = vidmm.allocate(other, 4096, Set.of());
        long fence = vidmm.submit(render, List.of(new DmaCommand.Fill(buffer.va(), 16, 7)));
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(render, fence, 5000));
        assertTrue(presenter.isAlive(), "the other process's calls did not wait for the present's paging fence");

        kmd.mapGate.countDown();
        presenter.join(10_000);
        assertNull(failed.get(), () -> "the present failed: " + failed.get());
        assertEquals(1, vidmm.apertureMappings().size());
        assertTrue(gpu.scanoutAddress(0) != 0, "source 0 shows the primary");
    }

    @Test
    void aReplacedPrimaryStaysPinnedUntilItsUnmapCompleted() throws Exception {
        long device = vidmm.createDevice(mm.spawn("flips"));
        Allocation first = vidmm.allocate(device, BYTES, Set.of(AllocationCreateFlag.PRIMARY));
        Allocation second = vidmm.allocate(device, BYTES, Set.of(AllocationCreateFlag.PRIMARY));
        long before = mm.frames().pinned();
        vidmm.present(device, first.handle(), 0);
        long pages = mm.frames().pinned() - before;
        assertEquals(BYTES / 4096, pages, "the shown primary is pinned");

        kmd.unmapGate = new CountDownLatch(1);
        vidmm.present(device, second.handle(), 0); // returns without waiting for the first's unmap
        assertEquals(second.handle(), vidmm.apertureMappings().get(0).allocation());
        assertEquals(before + 2 * pages, mm.frames().pinned(), "the first primary stays pinned while its unmap is in flight");

        kmd.unmapGate.countDown();
        long until = System.nanoTime() + 5_000_000_000L;
        while (mm.frames().pinned() > before + pages && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertEquals(before + pages, mm.frames().pinned(), "once its unmap completed, the first primary was unpinned");
        assertEquals(pages, gpu.apertureMappedPages(), "only the second primary is mapped");
    }
}
