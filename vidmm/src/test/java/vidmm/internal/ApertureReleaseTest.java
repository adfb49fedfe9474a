package vidmm.internal;

import kmd.reference.internal.ReferenceFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.spy;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import gpu.hw.GpuAdapter;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.VidMmCaps;
import kmd.reference.internal.ReferenceKmd;
import machine.testing.TestMachine;
import umd.api.AllocationCreateFlag;
import vidmm.Allocation;

/**
 * The aperture never maps a frame VidMm let go: a primary released while VidMm holds its driver's
 * exclusive access (a driver change waiting for the going driver's work) is unmapped once the change
 * ends, and stays pinned, its aperture range reserved, until then. Before, the unmap was refused
 * ("BuildPagingBuffer during exclusive access") and the primary was unpinned at once while the GART
 * still pointed at its frames.
 */
class ApertureReleaseTest {
    static final VidMmCaps IOMMU = TestMachine.IOMMU;
    static final long BYTES = 64 * 48 * 4;

    final AtomicBoolean swallow = new AtomicBoolean();
    final CountDownLatch exclusive = new CountDownLatch(1);
    final List<String> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
    final TestMachine machine = TestMachine.builder().memory(64L << 20).iommu(1024, 64).aperturePages(1024)
            .sources(1, 64, 48).driver(this::going, "going").build();
    final VideoMemoryManager vidmm = machine.vidmm();

    /**
     * The reference driver, except that it swallows submissions when told, says when exclusive access
     * begins, and keeps what its BuildPagingBuffer refused.
     */
    ReferenceKmd going(GpuAdapter gpu) {
        ReferenceKmd kmd = spy(ReferenceFixture.kmd(gpu, IOMMU, 16L << 20));
        doAnswer(i -> swallow.get() ? null : i.callRealMethod()).when(kmd).submitCommand(anyLong(), any(), anyLong());
        doAnswer(i -> {
            i.callRealMethod();
            exclusive.countDown();
            return null;
        }).when(kmd).beginExclusiveAccess();
        doAnswer(i -> {
            try {
                return i.callRealMethod();
            } catch (IllegalStateException refused) {
                refusals.add(refused.getMessage());
                throw refused;
            }
        }).when(kmd).buildPagingBuffer(any(), anyLong());
        return kmd;
    }

    @AfterEach
    void stop() {
        machine.close();
    }

    /** Process {@code pid}'s new device, which presents a primary on source 0; returns the device. */
    long showPrimary(int pid) {
        long device = vidmm.createDevice(pid);
        Allocation primary = vidmm.allocate(device, BYTES, Set.of(AllocationCreateFlag.PRIMARY));
        vidmm.present(device, primary.handle(), 0);
        return device;
    }

    /**
     * Starts a change to a better driver and returns once it holds the going driver's exclusive
     * access, which it keeps for its two-second quiesce: process {@code worker} gave the going driver
     * work that it never reports. The future completes when the change has ended.
     */
    CompletableFuture<Object> changeHeldOpen(int worker) throws InterruptedException {
        long working = vidmm.createDevice(worker);
        Allocation buffer = vidmm.allocate(working, 4096, Set.of());
        swallow.set(true);
        long context = vidmm.context(working, EngineNode.COPY);
        vidmm.submit(context, List.of(new DmaCommand.Fill(buffer.va(), 4096, 1)));
        CompletableFuture<Object> change = CompletableFuture.supplyAsync(() -> machine.offer(
                ReferenceFixture.kmd(machine.gpu(), IOMMU, 16L << 20), 9L, 5, "next"));
        assertTrue(exclusive.await(5, TimeUnit.SECONDS), "the change began: VidMm holds the going driver's exclusive access");
        return change;
    }

    @Test
    void aPrimaryReleasedDuringADriverChangeIsUnmappedWhenTheChangeEndsAndUnpinnedOnlyThen() throws Exception {
        int shower = machine.os().spawn("shower");
        long showing = showPrimary(shower);
        assertEquals(List.of(), machine.apertureViolations());

        int worker = machine.os().spawn("worker");
        CompletableFuture<Object> change = changeHeldOpen(worker);
        vidmm.destroyDevice(showing); // blanks the source and releases the primary while the change waits
        change.get(10, TimeUnit.SECONDS);
        vidmm.awaitRecovery();

        assertEquals(List.of(), vidmm.apertureMappings(), "nothing is displayed");
        assertEquals(List.of(), machine.apertureViolations(),
                "the released primary was unmapped before its frames were let go");
        assertEquals(0, machine.gpu().apertureMappedPages());
        assertTrue(refusals.stream().noneMatch(r -> r.contains("BuildPagingBuffer")), "VidMm issued no paging operation"
                + " during its own exclusive access: " + refusals);
        machine.os().kill(shower);
        machine.os().kill(worker);
    }

    /**
     * The process whose primary is displayed exits while a driver change holds the going driver's
     * exclusive access: its exit waits until the change has ended and the primary is unmapped and
     * unpinned, so that the OS frees no frame the aperture still maps. Before, the exit returned at
     * once, the OS freed the frames, and the unmap (then the unpin of a process that was gone) came
     * only when the change ended.
     */
    @Test
    void aProcessExitDuringADriverChangeWaitsUntilItsPrimaryIsOutOfTheAperture() throws Exception {
        int shower = machine.os().spawn("shower");
        showPrimary(shower);
        assertTrue(machine.gpu().apertureMappedPages() > 0);

        int worker = machine.os().spawn("worker");
        CompletableFuture<Object> change = changeHeldOpen(worker);

        machine.os().kill(shower); // VidMm hears of the exit before the OS frees anything
        assertEquals(0, machine.gpu().apertureMappedPages(),
                "the exit returned while the aperture still mapped the primary's frames");
        change.get(10, TimeUnit.SECONDS); // the change unmapped the primary when it ended: the exit waited for that
        assertEquals(List.of(), machine.apertureViolations());
        machine.os().kill(worker);
    }
}
