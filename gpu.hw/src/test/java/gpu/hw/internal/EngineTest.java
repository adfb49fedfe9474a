package gpu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import gpu.hw.EngineStatus;
import gpu.hw.EngineType;
import gpu.hw.GpuCommand;
import gpu.hw.Interrupt;
import gpu.hw.Submission;
import iommu.hw.DmaResult;

/**
 * An engine's reset stops the submission in execution at its next row, chunk or step, within
 * {@link Engine#RESET_MILLIS} (well inside the TdrDdiDelay its driver's ResetEngine is given), even
 * when each of its memory accesses is slow (a GPU whose page requests the OS is serving); and one that
 * cannot stop in time is reported, not waited for.
 */
class EngineTest {
    /** Memory whose every write takes {@code millis} (or blocks until {@code release} when negative). */
    static final class SlowMemory implements EngineDma {
        final long millis;
        final CountDownLatch release = new CountDownLatch(1);
        /** Counted down when a write has begun (a stuck one is then inside the access). */
        final CountDownLatch writing = new CountDownLatch(1);

        SlowMemory(long millis) {
            this.millis = millis;
        }

        @Override
        public DmaResult read(int pasid, long va, byte[] dst) {
            return new DmaResult(dst.length, null);
        }

        @Override
        public DmaResult write(int pasid, long va, byte[] src) {
            writing.countDown();
            try {
                if (millis < 0) {
                    release.await();
                } else {
                    Thread.sleep(millis);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new DmaResult(src.length, null);
        }

        @Override
        public DmaResult copy(int pasid, long srcVa, long dstVa, long length) {
            return new DmaResult(length, null);
        }
    }

    final BlockingQueue<Interrupt> interrupts = new LinkedBlockingQueue<>();
    Engine engine;

    Engine start(EngineDma dma) {
        engine = new Engine(EngineType.RENDER, 0, new CommandExecutor(dma), interrupts::add);
        engine.start();
        return engine;
    }

    @AfterEach
    void stop() throws InterruptedException {
        engine.stop();
    }

    void awaitBusy() throws InterruptedException {
        long since = System.nanoTime();
        while (engine.status() != EngineStatus.BUSY) {
            assertTrue(System.nanoTime() - since < 5_000_000_000L, "the engine started the submission");
            Thread.sleep(1);
        }
    }

    /** Memory of one 64-bit fence at {@link #FENCE} (anything else reads zeros); writes are counted. */
    static final class FenceMemory implements EngineDma {
        static final long FENCE = 0x5000;
        final java.util.concurrent.atomic.AtomicLong value = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public DmaResult read(int pasid, long va, byte[] dst) {
            if (va == FENCE && dst.length == 8) {
                java.nio.ByteBuffer.wrap(dst).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(value.get());
            }
            return new DmaResult(dst.length, null);
        }

        @Override
        public DmaResult write(int pasid, long va, byte[] src) {
            writes.incrementAndGet();
            return new DmaResult(src.length, null);
        }

        @Override
        public DmaResult copy(int pasid, long srcVa, long dstVa, long length) {
            return new DmaResult(length, null);
        }
    }

    /**
     * WAIT_FENCE holds what follows it until the fence in memory reaches the value: the fill after it
     * has not run while the value is below, and runs once it is written; a wait makes no progress
     * (TDR may reset a wait that never ends) and a reset stops it at once.
     */
    @Test
    void aWaitFenceHoldsWhatFollowsUntilTheValueAndMakesNoProgress() throws InterruptedException {
        FenceMemory memory = new FenceMemory();
        start(memory);
        memory.value.set(1);
        engine.submit(new Submission(1, 7, List.of(new GpuCommand.WaitFence(FenceMemory.FENCE, 2),
                new GpuCommand.Fill(0x10000, 8, 1)), 1));
        awaitBusy();
        long progress = engine.progress();
        assertNull(interrupts.poll(100, TimeUnit.MILLISECONDS), "nothing completes while the fence is below its value");
        assertEquals(0, memory.writes.get(), "the fill behind the wait did not run");
        assertEquals(progress, engine.progress(), "waiting is no progress");
        memory.value.set(2);
        assertEquals(new Interrupt.DmaCompleted(EngineType.RENDER, 7, 1), interrupts.poll(5, TimeUnit.SECONDS));
        assertEquals(1, memory.writes.get(), "then the fill ran");

        engine.submit(new Submission(1, 7, List.of(new GpuCommand.WaitFence(FenceMemory.FENCE, -1L),
                new GpuCommand.Fill(0x10000, 8, 1)), 2)); // unsigned: never reached
        awaitBusy();
        long t0 = System.nanoTime();
        engine.reset();
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 100, "a reset stops a wait at once");
        assertEquals(EngineStatus.IDLE, engine.status());
        assertNull(interrupts.poll(50, TimeUnit.MILLISECONDS), "the stopped wait raised nothing");
        assertEquals(1, memory.writes.get());
    }

    @Test
    void aResetStopsALongCommandAtItsNextRowAndTheEngineRunsOn() throws InterruptedException {
        start(new SlowMemory(1));
        // a million rows of a millisecond each: far longer than a reset may wait
        engine.submit(new Submission(1, 7, List.of(new GpuCommand.FillRect(0x10000, 64, 64, 1_000_000, 1)), 1));
        awaitBusy();
        long t0 = System.nanoTime();
        engine.reset();
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(millis < Engine.RESET_MILLIS, "the reset stopped the fill at a row, in " + millis + " ms");
        assertEquals(EngineStatus.IDLE, engine.status());
        engine.submit(new Submission(1, 7, List.of(new GpuCommand.Fill(0x10000, 8, 2)), 2));
        Interrupt next = interrupts.poll(5, TimeUnit.SECONDS);
        assertEquals(new Interrupt.DmaCompleted(EngineType.RENDER, 7, 2), next,
                "the stopped submission raised nothing; the next one completed");
    }

    @Test
    void aCommandThatCannotStopInTimeFailsTheResetInsteadOfHoldingIt() throws InterruptedException {
        SlowMemory stuck = new SlowMemory(-1);
        start(stuck);
        engine.submit(new Submission(1, 7, List.of(new GpuCommand.Fill(0x10000, 8, 1)), 1));
        awaitBusy();
        // busy is set before the command's first access: reset only once the access is stuck, or
        // the command stops before it and the reset has nothing to wait for
        assertTrue(stuck.writing.await(5, TimeUnit.SECONDS), "the fill reached memory");
        long t0 = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class, engine::reset);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(millis >= Engine.RESET_MILLIS && millis < 2 * Engine.RESET_MILLIS, "waited its bound, " + millis + " ms");
        assertTrue(e.getMessage().contains("did not stop its submission within " + Engine.RESET_MILLIS + " ms"), e.getMessage());
        stuck.release.countDown(); // the access ends: the submission stops there, the engine is idle
        long since = System.nanoTime();
        while (engine.status() != EngineStatus.IDLE) {
            assertTrue(System.nanoTime() - since < 5_000_000_000L, "the engine went idle");
            Thread.sleep(1);
        }
        engine.submit(new Submission(1, 7, List.of(new GpuCommand.Fill(0x10000, 8, 2)), 2));
        assertEquals(new Interrupt.DmaCompleted(EngineType.RENDER, 7, 2), interrupts.poll(5, TimeUnit.SECONDS),
                "the stopped submission raised nothing, the next one ran to its end");
    }
}
