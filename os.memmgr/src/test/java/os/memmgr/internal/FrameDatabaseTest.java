package os.memmgr.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import iommu.hw.SystemMemory;
import iommu.hw.internal.IommuFixture;
import iommu.hw.internal.LazySystemMemory;

/**
 * Freeing frames in a batch: the pinned ones wait for their last unpin, a bad frame frees none, and
 * frames zeroed outside the database's monitor are never handed out before they are zero.
 */
class FrameDatabaseTest {
    private final LazySystemMemory memory = IommuFixture.memory(16L << 20);
    private final FrameDatabase db = new FrameDatabase(memory);

    @Test
    void aBatchFreesTheUnpinnedFramesNowAndAPinnedOneAtItsLastUnpin() {
        long[] frames = {db.allocate(FrameDatabase.State.PRIVATE), db.allocate(FrameDatabase.State.PRIVATE),
                db.allocate(FrameDatabase.State.PRIVATE)};
        long free = db.freeFrames();
        db.pin(frames[1]);
        long pinned = frames[1];
        db.free(frames.clone(), 3);
        assertEquals(free + 2, db.freeFrames());
        assertEquals(FrameDatabase.State.PRIVATE, db.state(pinned));
        db.unpin(pinned);
        assertEquals(FrameDatabase.State.FREE, db.state(pinned));
        assertEquals(free + 3, db.freeFrames());
    }

    @Test
    void aBatchWithAFrameAlreadyFreeFreesNothing() {
        long a = db.allocate(FrameDatabase.State.PRIVATE);
        long b = db.allocate(FrameDatabase.State.PRIVATE);
        db.free(b);
        long free = db.freeFrames();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> db.free(new long[] {a, b}, 2));
        assertTrue(e.getMessage().contains("frame " + b + " is FREE"), e.getMessage());
        assertEquals(free, db.freeFrames());
        assertEquals(FrameDatabase.State.PRIVATE, db.state(a));
    }

    /**
     * One thread writes its frames full and frees them in batches while another allocates: a frame the
     * allocator gets must read as zeros (a batch pushed to the free list before it was zeroed would
     * hand out the freer's data).
     */
    @Test
    void aFrameFreedInABatchIsZeroBeforeAnyoneCanAllocateIt() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> dirty = new AtomicReference<>();
        byte[] full = new byte[SystemMemory.FRAME_SIZE];
        java.util.Arrays.fill(full, (byte) 0x5A);
        Thread freer = new Thread(() -> {
            long[] batch = new long[64];
            while (!stop.get()) {
                int n = 0;
                while (n < batch.length) {
                    long f = db.allocate(FrameDatabase.State.PRIVATE);
                    memory.write(f << SystemMemory.FRAME_SHIFT, full, 0, full.length);
                    batch[n++] = f;
                }
                db.free(batch, n);
            }
        });
        freer.start();
        byte[] page = new byte[SystemMemory.FRAME_SIZE];
        long deadline = System.nanoTime() + 500_000_000L;
        int allocations = 0;
        while (System.nanoTime() < deadline && dirty.get() == null) {
            long f = db.allocate(FrameDatabase.State.PRIVATE);
            memory.read(f << SystemMemory.FRAME_SHIFT, page, 0, page.length);
            for (int i = 0; i < page.length; i++) {
                if (page[i] != 0) {
                    dirty.set("frame " + f + " byte " + i + " is 0x" + Integer.toHexString(page[i] & 0xFF));
                    break;
                }
            }
            db.free(f);
            allocations++;
        }
        stop.set(true);
        freer.join();
        assertEquals(null, dirty.get());
        assertTrue(allocations > 1000, "only " + allocations + " allocations");
    }
}
