package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import machine.testing.TestMachine;
import vidmm.Allocation;
import vidmm.FenceWait;

/**
 * A submission that runs longer than TdrDelay while its engine makes progress (here: a fill of pages
 * that are not present, each brought in by a page request the OS serves) is not a timeout: VidMm asks
 * the driver (DxgkDdiQueryEngineStatus) before it resets the engine, and the reference driver answers
 * from the engine's progress counter. An engine that does nothing is still reset (TdrTest).
 */
class BusyEngineTest {
    static final long TDR_DELAY = 50;

    final TestMachine machine = TestMachine.builder().memory(1L << 30).tdr(TDR_DELAY, 5000).build();
    final VideoMemoryManager vidmm = machine.vidmm();

    @AfterEach
    void stop() {
        machine.close();
    }

    @Test
    void aLongFillThatMakesProgressCompletesWithoutATimeout() {
        int pid = machine.os().spawn("busy");
        long device = vidmm.createDevice(pid);
        long bytes = 512L << 20; // 131,072 page requests: several TdrDelays on any machine
        Allocation target = vidmm.allocate(device, bytes, Set.of()); // committed, not resident: page requests
        long context = vidmm.context(device, EngineNode.RENDER);
        long t0 = System.nanoTime();
        long fence = vidmm.submit(context, List.of(new DmaCommand.Fill(target.va(), bytes, 0x5A5A5A5A)));
        assertEquals(FenceWait.COMPLETED, vidmm.waitForFence(context, fence, 60_000), "faults: " + vidmm.faults());
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(millis > 3 * TDR_DELAY, "the premise: the fill ran several TdrDelays (" + millis + " ms)");
        assertEquals(List.of(), vidmm.faults(), "no timeout, no reset");
        assertEquals(0x5A, machine.os().addressSpace(pid).read(target.va() + bytes - 1, 1)[0]);
        machine.os().kill(pid);
    }
}
