package umd.reference.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import gpu.hw.internal.SimulatedGpu;
import os.memmgr.FrameCounts;
import os.memmgr.PageProtection;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import umd.api.AllocationCreateFlag;
import umd.api.Resource;
import umd.api.ThunkException;
import umd.api.TilePool;
import umd.api.TiledResource;
import umd.api.UmdDevice;
import umd.api.WaitResult;
import vidmm.VidMmException;
import vidmm.VidMmStatus;
import vidmm.internal.VidMmThunks;
import vidmm.internal.VideoMemoryManager;

/** The reference UMD over the real kernel side: thunks -> VidMm -> KMD -> GPU -> IOMMU -> OS. */
class ReferenceUmdTest {
    static final int TILE = TilePool.TILE_SIZE;

    TestMachine machine;
    WindowsMemoryManager mm;
    SimulatedGpu gpu;
    VideoMemoryManager vidmm;
    VidMmThunks thunks;
    ReferenceUmd umd;
    FrameCounts start;

    ReferenceUmdTest() {
        setUp(1L << 30);
    }

    /** A machine (512 MiB, one 64x48 source) whose VidMm keeps {@code budget} resident per process. */
    void setUp(long budget) {
        setUp(TestMachine.builder().memory(512L << 20).sources(1, 64, 48).budget(budget));
    }

    /** The machine {@code builder} builds, and its parts. */
    void setUp(TestMachine.Builder builder) {
        machine = builder.build();
        mm = machine.os();
        gpu = machine.gpu();
        vidmm = machine.vidmm();
        start = mm.frames();
        thunks = machine.thunks();
        umd = new ReferenceUmd(thunks);
    }

    @AfterEach
    void off() throws InterruptedException {
        machine.close();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    void run(UmdDevice device, umd.api.CommandList list) {
        assertEquals(WaitResult.COMPLETED, device.waitForFence(device.submit(list), 5000));
    }

    /** A fence: signalled by one device after its work, waited for on the GPU by another, read and waited for by the CPU. */
    @Test
    void aFenceOrdersAnotherDevicesWorkAndTheCpuReadsItsValue() {
        int pid = mm.spawn("fenced");
        UmdDevice producer = umd.createDevice(pid);
        try (UmdDevice consumer = umd.createDevice(pid)) {
            Resource a = producer.createBuffer(1 << 20, false);
            umd.api.Fence fence = producer.createFence();
            assertEquals(0, fence.completedValue());
            assertEquals(WaitResult.TIMEOUT, fence.waitFor(1, 10));
            producer.submit(producer.createCommandList().fill(a, 0, 1 << 20, 0x7E7E7E7E));
            producer.signal(fence, 1);
            consumer.waitOnGpu(fence, 1);
            assertEquals(WaitResult.COMPLETED, fence.waitFor(1, 5000));
            assertEquals(1, fence.completedValue(), "the value is in the process's memory, as GetCompletedValue reads it");
            long h = fence.handle();
            producer.close();
            VidMmException gone = org.junit.jupiter.api.Assertions.assertThrows(VidMmException.class,
                    () -> vidmm.waitFromCpu(h, 1, 0));
            assertEquals(VidMmStatus.INVALID_HANDLE, gone.status(), "the fence went with its device");
        } finally {
            mm.kill(pid);
        }
    }

    @Test
    void aLockReturnsTheSharedVaAndTheGpuSeesTheCpusBytes() {
        int pid = mm.spawn("app");
        try (UmdDevice device = umd.createDevice(pid)) {
            Resource a = device.createBuffer(8192, false);
            Resource b = device.createBuffer(8192, false);
            long va = device.lock(a);
            assertEquals(a.va(), va);
            thunks.processMemory(pid).write(va + 100, bytes("no copy on lock"));
            device.unlock(a);
            run(device, device.createCommandList().copy(a, 100, b, 4000, 15));
            assertArrayEquals(bytes("no copy on lock"), mm.addressSpace(pid).read(b.va() + 4000, 15));
            assertTrue(vidmm.allocations().stream().allMatch(x -> x.resident()), "used resources were made resident");
        }
        assertTrue(vidmm.processes().isEmpty());
    }

    @Test
    void nullTilesReadAsZeroAndDropWritesAndOnePoolTileBacksSeveral() {
        int pid = mm.spawn("tiles");
        try (UmdDevice device = umd.createDevice(pid)) {
            TiledResource tiled = device.createTiledResource(8);
            TilePool pool = device.createTilePool(2);
            device.updateTileMappings(tiled, 0, 1, pool, 0);
            device.updateTileMappings(tiled, 3, 1, pool, 0); // tiles 0 and 3 share pool tile 0
            device.updateTileMappings(tiled, 5, 1, pool, 1);
            Resource out = device.createBuffer(8L * TILE, false);
            thunks.processMemory(pid).write(out.va(), new byte[] {9, 9, 9, 9});

            run(device, device.createCommandList()
                    .fill(tiled, 0, 8L * TILE, 0x44332211) // writes to NULL tiles 1, 2, 4, 6, 7 vanish
                    .fill(tiled, 3L * TILE + 10, 4, 0x7F7F7F7F)); // through tile 3 into pool tile 0
            run(device, device.createCommandList().copy(tiled, 0, out, 0, 8L * TILE));

            byte[] all = mm.addressSpace(pid).read(out.va(), 8 * TILE);
            assertEquals(0x11, all[0]);
            assertEquals(0x7F, all[10], "the write through tile 3 shows in tile 0: the same pool tile");
            assertEquals(0x7F, all[3 * TILE + 10]);
            assertEquals(0, all[TILE], "NULL tile 1 reads as zero (the 9s were overwritten with zeros)");
            assertEquals(0x11, all[5 * TILE]);
            byte[] poolBytes = mm.addressSpace(pid).read(pool.memory().va(), 2 * TILE);
            assertEquals(0x11, poolBytes[TILE], "pool tile 1 holds tile 5's data");

            device.copyTileMappings(tiled, 1, tiled, 5, 1);
            run(device, device.createCommandList().copy(tiled, TILE, out, 0, 4));
            assertArrayEquals(new byte[] {0x11, 0x22, 0x33, 0x44}, mm.addressSpace(pid).read(out.va(), 4));
        }
    }

    @Test
    void aTileMappingOutsideTheProcessFaultsAndTouchesNothing() {
        int victim = mm.spawn("victim");
        var victimSpace = mm.addressSpace(victim);
        long secret = victimSpace.reserve(0x5000_0000L, TILE); // where the attacker has nothing
        victimSpace.commit(secret, TILE, PageProtection.READWRITE);
        victimSpace.write(secret, bytes("secret"));
        int pid = mm.spawn("attacker");
        try (UmdDevice device = umd.createDevice(pid)) {
            TiledResource tiled = device.createTiledResource(2);
            byte[] entry = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(secret).array();
            thunks.processMemory(pid).write(tiled.tableVa(), entry); // the table now names the victim's VA
            Resource out = device.createBuffer(TILE, false);
            long fence = device.submit(device.createCommandList().fill(tiled, 0, 6, 0x41414141));
            assertEquals(WaitResult.DEVICE_ERROR, device.waitForFence(fence, 5000));
            assertArrayEquals(bytes("secret"), victimSpace.read(secret, 6), "the victim's memory is untouched");
            assertTrue(vidmm.faults().stream().anyMatch(f -> f.va() == secret), vidmm.faults().toString());
            assertTrue(Arrays.equals(new byte[6], mm.addressSpace(pid).read(out.va(), 6)));
        }
    }

    @Test
    void badThunkArgumentsGetClearErrorsAndChangeNothing() {
        int pid = mm.spawn("app");
        long device = thunks.createDevice(pid);
        int allocations = vidmm.allocations().size();
        ThunkException e = assertThrows(ThunkException.class, () -> thunks.allocate(device + 999, 4096, Set.of()));
        assertEquals("INVALID_HANDLE", e.status());
        assertTrue(e.getMessage().startsWith("D3DKMTCreateAllocation: "), e.getMessage());
        assertEquals("INVALID_PARAMETER", assertThrows(ThunkException.class,
                () -> thunks.allocate(device, -1, Set.of())).status());
        assertEquals("INVALID_CID", assertThrows(ThunkException.class, () -> thunks.createDevice(12345)).status());
        assertEquals("INVALID_HANDLE", assertThrows(ThunkException.class, () -> thunks.openResource(device, 777)).status());
        assertEquals("ACCESS_VIOLATION", assertThrows(ThunkException.class,
                () -> thunks.processMemory(pid).read(0x7000_0000L, 4)).status());
        assertEquals(allocations, vidmm.allocations().size());
        assertEquals(1, vidmm.processes().size());
        thunks.destroyDevice(device);
        mm.kill(pid);
        assertEquals(start, mm.frames());
    }

    /**
     * More submissions than the command ring holds (each takes at least one 64-byte line), all held
     * behind a GPU wait until a thread opens it: the ring wraps only once the GPU ran what its start
     * held, so the wrap waits for the gate. Submission i fills slot i with i: a wrap that overwrote
     * packets not yet fetched would run later fills in their place and leave their slots 0.
     */
    @Test
    void theCommandRingWrapsOnlyOverWhatTheGpuRan() throws Exception {
        int pid = mm.spawn("ring");
        int submissions = RefCommandRing.BYTES / 64 * 3 / 2;
        try (UmdDevice device = umd.createDevice(pid)) {
            Resource slots = device.createBuffer(4L * (submissions + 1), false);
            umd.api.Fence gate = device.createFence();
            device.waitOnGpu(gate, 1); // what follows is held until the gate opens
            Thread opener = new Thread(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    return;
                }
                thunks.signalFromCpu(gate.handle(), 1);
            }, "opener");
            opener.start();
            long last = 0;
            for (int i = 1; i <= submissions; i++) {
                last = device.submit(device.createCommandList().fill(slots, 4L * i, 4, i));
            }
            opener.join(10_000);
            assertEquals(WaitResult.COMPLETED, device.waitForFence(last, 10_000));
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(mm.addressSpace(pid).read(slots.va(), 4 * (submissions + 1)))
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 1; i <= submissions; i++) {
                assertEquals(i, b.getInt(4 * i), "slot " + i + " holds submission " + i + "'s fill");
            }
        }
        mm.kill(pid);
    }

    @Test
    void theUmdEvictsIdleResourcesUnderBudgetPressure() throws InterruptedException {
        off();
        setUp(3L << 20); // 3 MiB resident at most
        int pid = mm.spawn("big");
        try (UmdDevice device = umd.createDevice(pid)) {
            Resource a = device.createBuffer(2L << 20, false);
            Resource b = device.createBuffer(2L << 20, false);
            run(device, device.createCommandList().fill(a, 0, 16, 1));
            run(device, device.createCommandList().fill(b, 0, 16, 2)); // refused over budget: the UMD evicts a and retries
            assertEquals(1, mm.addressSpace(pid).read(a.va(), 1)[0]);
            assertEquals(2, mm.addressSpace(pid).read(b.va(), 1)[0]);
            var resident = vidmm.allocations().stream().filter(x -> x.resident()).map(x -> x.handle())
                    .filter(h -> h == a.allocation() || h == b.allocation()).toList();
            assertEquals(List.of(b.allocation()), resident);
            run(device, device.createCommandList().fill(a, 0, 16, 3)); // a again: refused over budget, the UMD evicts b
            assertEquals(3, mm.addressSpace(pid).read(a.va(), 1)[0]);
            device.destroy(b); // evicted already: the UMD knows not to evict it twice
            assertEquals((2L << 20) + RefCommandRing.BYTES, vidmm.videoMemoryInfo(pid).currentUsage(), "a and the ring");
            // the OS asks for room (a trim notification, TrimToBudget): the UMD gives what its finished work used
            assertEquals(2L << 20, vidmm.trim(pid, 2L << 20), "asked for the ring's size, the UMD gave its least recently used: a");
            assertEquals(RefCommandRing.BYTES, vidmm.trim(pid, 0), "then the ring");
            assertEquals(0, vidmm.videoMemoryInfo(pid).currentUsage());
            run(device, device.createCommandList().fill(a, 16, 16, 4)); // made resident again on use
            assertEquals((2L << 20) + RefCommandRing.BYTES, vidmm.videoMemoryInfo(pid).currentUsage(), "a and the ring");
        }
    }

    /**
     * Under budget pressure the UMD evicts only what no queued work may still reach: here the first
     * fill waits on the GPU for a fence; the second submission needs the room its allocation holds. Had
     * the UMD evicted it at once, the OS's trim meanwhile would page it out and, under the windows
     * fault policy, the held fill would fault once released; the UMD waits for the fill instead.
     */
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path pagefileDir;

    @Test
    void underBudgetPressureTheUmdEvictsNothingItsQueuedWorkStillUses() throws Exception {
        off();
        setUp(TestMachine.builder().memory(512L << 20).sources(1, 64, 48).budget(3L << 20)
                .pagefile(pagefileDir.resolve("pagefile.sys"), 64, 0)); // a pagefile: the OS's trim can page out
        mm.setGpuFaultPolicy(os.memmgr.GpuFaultPolicy.WINDOWS);
        int pid = mm.spawn("held");
        try (UmdDevice device = umd.createDevice(pid)) {
            Resource a = device.createBuffer(2L << 20, false);
            Resource b = device.createBuffer(2L << 20, false);
            umd.api.Fence gate = device.createFence();
            device.waitOnGpu(gate, 1);
            long first = device.submit(device.createCommandList().fill(a, 0, 4096, 0x01010101)); // held behind the wait
            java.util.concurrent.CompletableFuture<Void> release = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(300);
                    mm.trim(pid, 1 << 20); // the OS takes every page it may
                    vidmm.signalFromCpu(gate.handle(), 1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long second = device.submit(device.createCommandList().fill(b, 0, 4096, 0x02020202)); // needs a's room
            release.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(WaitResult.COMPLETED, device.waitForFence(second, 10_000));
            assertTrue(first < second);
            assertEquals(1, mm.addressSpace(pid).read(a.va() + 4095, 1)[0], "the held fill ran on resident memory");
            assertEquals(2, mm.addressSpace(pid).read(b.va() + 4095, 1)[0]);
            assertEquals("no GPU faults", vidmm.faults().isEmpty() ? "no GPU faults" : vidmm.faults().toString());
        }
    }

    @Test
    void sharingAResourceWithAnotherProcess() {
        int a = mm.spawn("producer");
        int b = mm.spawn("consumer");
        try (UmdDevice producer = umd.createDevice(a); UmdDevice consumer = umd.createDevice(b)) {
            Resource shared = producer.createTexture2D(16, 16, true);
            run(producer, producer.createCommandList().fillRect(shared, 0, 0, 16, 16, 0xFF00FF00));
            Resource opened = consumer.openShared(shared.sharedHandle(), 16, 16);
            Resource copy = consumer.createTexture2D(16, 16, false);
            run(consumer, consumer.createCommandList().blit(opened, 4, 4, copy, 0, 0, 8, 8));
            byte[] px = mm.addressSpace(b).read(copy.va(), 4);
            assertArrayEquals(new byte[] {0, (byte) 0xFF, 0, (byte) 0xFF}, px);
            assertTrue(vidmm.allocations().stream().anyMatch(x -> x.createFlags().contains(AllocationCreateFlag.CREATE_SHARED)));
        }
    }
}
