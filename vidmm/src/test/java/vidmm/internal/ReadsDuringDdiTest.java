package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import kmd.api.AdapterInfo;
import kmd.api.AllocationDescription;
import kmd.api.DriverCaps;
import kmd.api.KernelModeDriver;
import machine.testing.TestMachine;
import vidmm.Allocation;

/**
 * The adapter's lock guards bookkeeping only: while a driver is inside a DDI, VidMm's state can be
 * read (the shell, the console, the probe of every test machine), yet the adapter's changes, and so
 * its DDIs, still go one at a time. Fails with the DDI awaited under the bookkeeping lock (the reads
 * wait for the driver) or with changes not serialized (two CreateAllocation calls overlap).
 */
class ReadsDuringDdiTest {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger inside = new AtomicInteger();
    final AtomicInteger mostInside = new AtomicInteger();
    final AtomicInteger calls = new AtomicInteger();
    final AtomicLong handles = new AtomicLong(0x7000);
    TestMachine machine;

    @AfterEach
    void stop() {
        release.countDown();
        machine.close();
    }

    /** A driver whose first CreateAllocation waits for the test; every call counts who is inside. */
    KernelModeDriver slowToAllocate() {
        KernelModeDriver kmd = mock(KernelModeDriver.class);
        when(kmd.queryAdapterInfo()).thenReturn(new AdapterInfo("slow", TestMachine.IOMMU, new DriverCaps(1 << 20), List.of()));
        when(kmd.createProcess(anyInt(), any())).thenAnswer(i -> handles.incrementAndGet());
        when(kmd.createDevice(anyLong(), anyInt())).thenAnswer(i -> handles.incrementAndGet());
        when(kmd.createAllocation(anyLong(), any())).thenAnswer(i -> {
            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            try {
                if (calls.incrementAndGet() == 1) {
                    entered.countDown();
                    assertTrue(release.await(10, TimeUnit.SECONDS));
                }
                return new AllocationDescription(4096, 4096, 1, Set.of());
            } finally {
                inside.decrementAndGet();
            }
        });
        return kmd;
    }

    @Test
    void stateIsReadWhileADriverIsCalledAndChangesWaitTheirTurn() throws Exception {
        machine = TestMachine.builder().memory(64L << 20).iommu(1024, 64).driver(gpu -> slowToAllocate(), "slow").build();
        VideoMemoryManager vidmm = machine.vidmm();
        long first = vidmm.createDevice(machine.os().spawn("first"));
        long second = vidmm.createDevice(machine.os().spawn("second"));

        CompletableFuture<Allocation> slow = CompletableFuture.supplyAsync(() -> vidmm.allocate(first, 4096, Set.of()));
        assertTrue(entered.await(5, TimeUnit.SECONDS), "the driver was never asked to allocate");
        // readers do not wait for the driver
        assertEquals(2, CompletableFuture.supplyAsync(vidmm::processes).get(1, TimeUnit.SECONDS).size());
        assertEquals(List.of(), CompletableFuture.supplyAsync(vidmm::allocations).get(1, TimeUnit.SECONDS));
        assertEquals(first, CompletableFuture.supplyAsync(() -> vidmm.device(first)).get(1, TimeUnit.SECONDS).handle());
        // a change waits for its turn: the driver never sees two calls at once
        CompletableFuture<Allocation> next = CompletableFuture.supplyAsync(() -> vidmm.allocate(second, 4096, Set.of()));
        Thread.sleep(300);
        assertEquals(1, calls.get(), "the second CreateAllocation reached the driver while the first was inside");
        release.countDown();
        Allocation a = slow.get(5, TimeUnit.SECONDS);
        Allocation b = next.get(5, TimeUnit.SECONDS);
        assertEquals(1, mostInside.get());
        assertEquals(Set.of(a.handle(), b.handle()), Set.copyOf(vidmm.allocations().stream().map(Allocation::handle).toList()));
    }
}
