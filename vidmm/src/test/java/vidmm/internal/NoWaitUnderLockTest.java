package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import vidmm.Allocation;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * Invariant 7: a device that goes waits for its work without the adapter's lock, so that other
 * devices' calls on the same adapter go on meanwhile.
 */
class NoWaitUnderLockTest {
    Stack s = new Stack(64L << 20);

    @AfterEach
    void stop() throws InterruptedException {
        s.stop();
    }

    /** Whether the device refuses new contexts, as one being destroyed does (a context made before that goes with it). */
    boolean closed(long device) {
        try {
            s.vidmm.createContext(device, EngineNode.RENDER, 0);
            return false;
        } catch (VidMmException e) {
            return e.status() == VidMmStatus.INVALID_HANDLE;
        }
    }

    /**
     * Device A's copy context holds a submission behind a GPU wait nobody satisfies, so destroying A
     * waits the whole two seconds before cutting it off. Meanwhile device B of another process
     * allocates and submits on the same adapter: both return while A's destroy is still waiting.
     */
    @Test
    void anotherDevicesCallsGoOnWhileADeviceDrains() throws Exception {
        long a = s.vidmm.createDevice(s.mm.spawn("going"));
        Allocation buffer = s.vidmm.allocate(a, 4096, Set.of());
        long stuck = s.vidmm.createContext(a, EngineNode.COPY, 0);
        s.vidmm.waitFromGpu(stuck, s.vidmm.createSynchronizationObject(a), 1);
        s.vidmm.submit(stuck, List.of(new DmaCommand.Fill(buffer.va(), 16, 1)));
        long b = s.vidmm.createDevice(s.mm.spawn("staying"));
        long render = s.vidmm.createContext(b, EngineNode.RENDER, 0);

        CountDownLatch destroying = new CountDownLatch(1);
        Thread destroyer = new Thread(() -> {
            destroying.countDown();
            s.vidmm.destroyDevice(a);
        }, "destroyer");
        destroyer.start();
        destroying.await();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!closed(a)) { // the destroy closed A and waits for its work now
            assertTrue(System.nanoTime() < deadline, "the destroy never closed the device");
            Thread.sleep(5);
        }
        assertEquals(VidMmStatus.INVALID_HANDLE, assertThrows(VidMmException.class,
                () -> s.vidmm.submit(stuck, List.of(new DmaCommand.Fill(buffer.va(), 16, 2)))).status(),
                "a device being destroyed takes no more work");
        Allocation other = s.vidmm.allocate(b, 4096, Set.of());
        long fence = s.vidmm.submit(render, List.of(new DmaCommand.Fill(other.va(), 16, 3)));
        assertEquals(vidmm.FenceWait.COMPLETED, s.vidmm.waitForFence(render, fence, 5000));
        assertTrue(destroyer.isAlive(), "B's calls did not wait for A's two-second drain");
        destroyer.join(10_000);
        assertEquals(VidMmStatus.INVALID_HANDLE, assertThrows(VidMmException.class, () -> s.vidmm.device(a)).status());
        assertEquals(List.of(render), s.vidmm.contexts().stream().map(vidmm.ContextInfo::handle).toList());
    }
}
