package vidmm.internal;

import kmd.reference.internal.ReferenceFixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import gpu.hw.GpuAdapter;
import gpu.hw.PciIdentity;
import gpu.hw.internal.SimulatedGpu;
import iommu.hw.internal.IommuUnit;
import kmd.api.DisplayDriver;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.VidMmCaps;
import kmd.reference.internal.ReferenceKmd;
import os.memmgr.FrameCounts;
import machine.testing.TestMachine;
import os.memmgr.internal.WindowsMemoryManager;
import umd.api.AllocationCreateFlag;
import vidmm.AdapterStatus;
import vidmm.Allocation;
import vidmm.DriverBinding;
import vidmm.FenceWait;
import vidmm.ProcessRegistration;

/** Two adapters behind two IOMMU units: drivers matched and added per adapter, processes on both. */
class MultiAdapterTest {
    static final VidMmCaps IOMMU = new VidMmCaps(true, true, false, false, false);

    /** A driver service for the tests: matches the device ids {@code drives} with {@code score}, counts AddDevice. */
    static final class TestDriver implements DisplayDriver {
        final int score;
        final IntPredicate drives;
        final IntPredicate throwsOn;
        final AtomicInteger added = new AtomicInteger();
        volatile ReferenceKmd last;

        TestDriver(int score, IntPredicate drives, IntPredicate throwsOn) {
            this.score = score;
            this.drives = drives;
            this.throwsOn = throwsOn;
        }

        @Override
        public int match(PciIdentity adapter) {
            return drives.test(adapter.deviceId()) ? score : NO_MATCH;
        }

        @Override
        public KernelModeDriver addDevice(GpuAdapter adapter) {
            if (throwsOn.test(adapter.index())) {
                throw new IllegalStateException("no firmware for adapter " + adapter.index());
            }
            added.incrementAndGet();
            last = ReferenceFixture.kmd(adapter, IOMMU, 16L << 20);
            return last;
        }

        @Override
        public void removeDevice(KernelModeDriver context) {
        }
    }

    final TestMachine machine = TestMachine.builder().memory(64L << 20).iommu(4096, 256).aperturePages(1024)
            .secondAdapter(new PciIdentity(0x1234, 0x2222, 2), 0).noDriver().build();
    final IommuUnit unit0 = machine.iommu(0);
    final IommuUnit unit1 = machine.iommu(1);
    final WindowsMemoryManager mm = machine.os();
    final SimulatedGpu gpu0 = machine.gpu(0);
    final SimulatedGpu gpu1 = machine.gpu(1);
    final VideoMemoryManager vidmm = machine.vidmm();
    final FrameCounts start = mm.frames();

    @AfterEach
    void stop() throws InterruptedException {
        machine.close();
    }

    static Map<String, Object> service(long id, String name) {
        return Map.of("service.id", id, DisplayDriver.NAME, name);
    }

    String attached(int adapter) {
        return vidmm.drivers().stream().filter(d -> d.adapter() == adapter && d.attached()).map(DriverBinding::name)
                .findFirst().orElse("(none)");
    }

    DriverBinding binding(int adapter, String name) {
        return vidmm.drivers().stream().filter(d -> d.adapter() == adapter && d.name().equals(name)).findFirst()
                .orElseThrow();
    }

    @Test
    void eachAdapterAttachesItsBestMatchAndADriverThatMatchesNothingIsNeverAdded() {
        TestDriver only1111 = new TestDriver(1, id -> id == 0x1111, i -> false);
        TestDriver both = new TestDriver(2, id -> true, i -> false);
        TestDriver none = new TestDriver(9, id -> false, i -> false);
        vidmm.bindDriver(none, service(1, "none"));
        vidmm.bindDriver(only1111, service(2, "only1111"));
        vidmm.bindDriver(both, service(3, "both"));
        assertEquals("both", attached(0));
        assertEquals("both", attached(1));
        assertEquals(0, none.added.get(), "AddDevice was never called on a driver that matches nothing");
        assertEquals(0, binding(1, "only1111").score());
        assertTrue(binding(1, "none").refusal().startsWith("does not match PCI 1234:2222"), binding(1, "none").refusal());

        vidmm.unbindDriver(both); // both adapters move: adapter 0 to only1111, adapter 1 to nothing
        assertEquals("only1111", attached(0));
        assertEquals("(none)", attached(1));
        assertEquals(AdapterStatus.State.STOPPED, vidmm.adapter(1).state());
    }

    @Test
    void aDriverThatThrowsInAddDeviceIsRefusedForThatAdapterOnly() {
        TestDriver both = new TestDriver(2, id -> true, i -> false);
        TestDriver flaky = new TestDriver(5, id -> true, index -> index == 1);
        vidmm.bindDriver(both, service(1, "both"));
        vidmm.bindDriver(flaky, service(2, "flaky"));
        assertEquals("flaky", attached(0));
        assertEquals("both", attached(1));
        assertTrue(binding(1, "flaky").refusal().contains("AddDevice failed"), binding(1, "flaky").refusal());
        assertEquals(null, binding(0, "flaky").refusal());
    }

    @Test
    void aProcessOnBothAdaptersHasAPasidOfEachUnitAndSharesAnAllocationAcrossThem() throws Exception {
        TestDriver both = new TestDriver(2, id -> true, i -> false);
        vidmm.bindDriver(both, service(1, "both"));
        int other = mm.spawn("other");
        vidmm.createDevice(1, other); // takes PASID 1 of unit 1: the process's PASIDs then differ per unit
        int pid = mm.spawn("hybrid");
        long render = vidmm.createDevice(1, pid);
        long show = vidmm.createDevice(0, pid);
        Map<Integer, Integer> pasids = mm.addressSpace(pid).pasids();
        assertNotEquals(pasids.get(0), pasids.get(1));
        List<ProcessRegistration> registrations = vidmm.processes().stream().filter(p -> p.pid() == pid).toList();
        assertEquals(2, registrations.size());
        for (ProcessRegistration r : registrations) {
            assertEquals(r.adapter(), r.iommuUnit());
            assertEquals(pasids.get(r.iommuUnit()), r.pasid(), "VidMm registered the PASID the OS bound on that unit");
        }
        assertEquals(pasids.get(1), vidmm.device(render).pasid());

        Allocation shared = vidmm.allocate(render, 8192, Set.of(AllocationCreateFlag.CREATE_SHARED));
        long fence = vidmm.submit(vidmm.context(render, EngineNode.RENDER), List.of(new DmaCommand.Fill(shared.va(), 8192, 0x5a5a5a5a)));
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(vidmm.context(render, EngineNode.RENDER), fence, 5000));
        Allocation opened = vidmm.openShared(show, shared.handle());
        Allocation target = vidmm.allocate(show, 8192, Set.of());
        fence = vidmm.submit(vidmm.context(show, EngineNode.COPY), List.of(new DmaCommand.Copy(opened.va(), target.va(), 8192)));
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(vidmm.context(show, EngineNode.COPY), fence, 5000));
        byte[] expected = new byte[8192];
        java.util.Arrays.fill(expected, (byte) 0x5a);
        assertArrayEquals(expected, mm.addressSpace(pid).read(target.va(), 8192), "adapter 0 copied what adapter 1 filled");
        assertTrue(unit0.stats().translations() > 0 && unit1.stats().translations() > 0, "each adapter used its own unit");

        mm.kill(pid);
        mm.kill(other);
        assertTrue(unit0.boundPasids().isEmpty() && unit1.boundPasids().isEmpty(), "every unit's PASIDs went back");
        assertEquals(start, mm.frames(), "frames balanced");
    }

    @Test
    void aDriverThatGoesSwapsOnlyTheAdaptersItDrove() {
        TestDriver both = new TestDriver(2, id -> true, i -> false);
        TestDriver better0 = new TestDriver(3, id -> id == 0x1111, i -> false);
        vidmm.bindDriver(both, service(1, "both"));
        vidmm.bindDriver(better0, service(2, "better0"));
        int pid = mm.spawn("app");
        long d1 = vidmm.createDevice(1, pid);
        vidmm.createDevice(0, pid);
        int addedBefore = both.added.get();
        assertEquals(2, addedBefore, "one context per adapter, until better0 took adapter 0");

        vidmm.unbindDriver(better0);
        assertEquals("both", attached(0));
        assertEquals("both", attached(1));
        assertEquals(addedBefore + 1, both.added.get(), "only adapter 0 got a new context");
        long fence = vidmm.submit(vidmm.context(d1, EngineNode.COPY), List.of(new DmaCommand.Fill(
                vidmm.allocate(d1, 4096, Set.of()).va(), 4096, 1)));
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(vidmm.context(d1, EngineNode.COPY), fence, 5000), "adapter 1 works on, untouched");
        mm.kill(pid);
    }

    @Test
    void aLinkedAdapterGivesItsDriverAPasidPerPhysicalGpuAndRunsDevicesOnBoth() throws Exception {
        SimulatedGpu linked = machine.linkedAdapter(2, new PciIdentity(0x1234, 0x1111, 2), 1);
        TestDriver both = new TestDriver(2, id -> true, i -> false);
        try {
            vidmm.addAdapter(linked);
            vidmm.bindDriver(both, service(1, "both"));
            assertEquals(2, linked.physicalGpus());
            int other = mm.spawn("other");
            vidmm.createDevice(1, other); // takes PASID 1 of unit 1: the linked process's PASIDs then differ
            int pid = mm.spawn("linked");
            long first = vidmm.createDevice(2, pid);
            long second = vidmm.createDevice(2, pid);
            Map<Integer, Integer> pasids = mm.addressSpace(pid).pasids();
            assertEquals(2, pasids.size(), "bound to both units");
            assertTrue(both.last.processesForTest().contains(pid + ":" + pasids.get(0) + "," + pasids.get(1)),
                    "CreateProcess got one PASID per physical GPU: " + both.last.processesForTest());
            List<ProcessRegistration> registrations = vidmm.processes().stream()
                    .filter(p -> p.pid() == pid && p.adapter() == 2).toList();
            assertEquals(List.of(0, 1), registrations.stream().map(ProcessRegistration::iommuUnit).toList());

            long[] through = {unit0.stats().translations(), unit1.stats().translations()};
            for (long device : new long[] {first, second}) {
                Allocation a = vidmm.allocate(device, 8192, Set.of());
                long fence = vidmm.submit(vidmm.context(device, EngineNode.COPY), List.of(new DmaCommand.Fill(a.va(), 8192, 0x11111111)));
                assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(vidmm.context(device, EngineNode.COPY), fence, 5000));
                assertEquals(0x11, mm.addressSpace(pid).read(a.va() + 8191, 1)[0]);
            }
            assertTrue(unit0.stats().translations() > through[0], "the first device ran on GPU 0, through unit 0");
            assertTrue(unit1.stats().translations() > through[1], "the second device ran on GPU 1, through unit 1");
            mm.kill(pid);
            mm.kill(other);
            assertTrue(unit0.boundPasids().isEmpty() && unit1.boundPasids().isEmpty());
        } finally {
            vidmm.removeAdapter(linked); // the machine powers it off
        }
    }

    /**
     * The last device of a process goes while its GPU does not answer device-TLB invalidations, so
     * the unbind of its PASID on unit 0 waits the unit's one-second time-out. Meanwhile a device is
     * created on the other adapter (a PASID of unit 1): it does not wait for that unbind. Fails with
     * the unbind run inside VidMm's PASID users' monitor, which every device creation takes.
     */
    @Test
    void aSlowPasidUnbindOnOneUnitDoesNotStallDeviceCreationOnTheOther() throws Exception {
        vidmm.bindDriver(new TestDriver(2, id -> true, i -> false), service(1, "both"));
        int going = mm.spawn("going");
        long device = vidmm.createDevice(0, going);
        // the OS's memory, not an allocation: the destroy has nothing to free before the unbind
        long buffer = mm.addressSpace(going).allocate(2 * 4096, os.memmgr.PageProtection.READWRITE);
        long copy = vidmm.context(device, EngineNode.COPY);
        long fence = vidmm.submit(copy, List.of(new DmaCommand.Copy(buffer, buffer + 4096, 4096)));
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(copy, fence, 5000));
        assertTrue(gpu0.deviceTlb(0).entries() > 0, "the GPU cached the process's translations");
        gpu0.deviceTlbUnresponsive(0, true);

        Thread destroyer = new Thread(() -> vidmm.destroyDevice(device), "destroyer");
        destroyer.start();
        Thread.sleep(250); // into the unbind, which waits a second for the GPU
        long began = System.nanoTime();
        vidmm.createDevice(1, mm.spawn("arriving"));
        long took = (System.nanoTime() - began) / 1_000_000;
        assertTrue(destroyer.isAlive(), "the unbind was over before the other adapter's device was created");
        assertTrue(took < 500, "creating a device on adapter 1 waited " + took + " ms for unit 0's unbind");
        destroyer.join(10_000);
        gpu0.deviceTlbUnresponsive(0, false);
        vidmm.awaitRecovery(); // the time-out reset adapter 0
        assertEquals(List.of(1), vidmm.processes().stream().map(ProcessRegistration::adapter).toList());
    }
}
