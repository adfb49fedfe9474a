package vidmm.internal;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import vidmm.AdapterHold;
import vidmm.AdapterStatus;
import vidmm.Allocation;
import vidmm.FenceWait;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * VidMm.hold: the adapter leaves its driver for the holder (the conformance kit) and comes back with
 * every live device and context replayed; the hardware is the holder's alone meanwhile.
 */
class AdapterHoldTest {
    Stack s = new Stack(64L << 20);

    @AfterEach
    void stop() throws InterruptedException {
        s.stop();
    }

    @Test
    void aHeldAdapterHasNoDriverAndComesBackWithItsDevicesReplayed() {
        int pid = s.mm.spawn("app");
        long device = s.vidmm.createDevice(pid);
        long context = s.vidmm.createContext(device, EngineNode.RENDER, 0);
        Allocation buffer = s.vidmm.allocate(device, 4096, Set.of());
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(context,
                s.vidmm.submit(context, List.of(new DmaCommand.Fill(buffer.va(), 4096, 0x01010101))), 5000));

        AdapterHold hold = s.vidmm.hold(0, "a test");
        AdapterStatus held = s.vidmm.adapter(0);
        assertEquals(AdapterStatus.State.STOPPED, held.state());
        assertTrue(held.reason().contains("held by a test"), held.reason());
        assertNull(s.gpu.attachedDriver(), "the hardware is the holder's: no driver takes its interrupts");
        assertEquals(VidMmStatus.ADAPTER_NOT_STARTED, assertThrows(VidMmException.class,
                () -> s.vidmm.submit(context, List.of(new DmaCommand.Fill(buffer.va(), 4096, 2)))).status());
        VidMmException twice = assertThrows(VidMmException.class, () -> s.vidmm.hold(0, "someone else"));
        assertTrue(twice.getMessage().contains("already held by a test"), twice.getMessage());

        hold.close();
        hold.close(); // a second close does nothing
        assertEquals(AdapterStatus.State.STARTED, s.vidmm.adapter(0).state());
        long fence = s.vidmm.submit(context, List.of(new DmaCommand.Fill(buffer.va(), 4096, 0x02020202)));
        assertEquals(2, fence, "the context's fences go on across the hold");
        assertEquals(FenceWait.COMPLETED, s.vidmm.waitForFence(context, fence, 5000));
        assertArrayEquals(new byte[] {2, 2, 2, 2}, s.mm.addressSpace(pid).read(buffer.va(), 4));
    }
}
