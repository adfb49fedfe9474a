package kmd.conformance.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import gpu.hw.CommandPackets;
import gpu.hw.GpuCommand;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;

/**
 * Contexts and their fences: a fence is reported only once its work is done (checked against the
 * bytes when the interrupt arrives), fences of a context are reported in order and never past what
 * was submitted, and one context's completion never stands for another's; a command buffer in the
 * process's memory runs from there.
 */
final class FenceChecks {
    private FenceChecks() {
    }

    static List<Check<Session>> all() {
        return List.of(new Check<>("fence.after-work", FenceChecks::afterWork), new Check<>("fence.order", FenceChecks::order),
                new Check<>("submission.once-in-order", FenceChecks::onceInOrder), new Check<>("command-buffer", FenceChecks::commandBuffer));
    }

    /**
     * A context's submissions run once each and in order: a fill of X with A, a copy of X to Y, a fill
     * of X with B, submitted without waiting. Y must hold A (the copy ran after the first fill and
     * before the second) and X must hold B (nothing ran again after the second fill).
     */
    static void onceInOrder(Session s) {
        KitProcess p = s.process();
        KitProcess.Context c = p.device().context(EngineNode.COPY, 0);
        int size = 16 << 10;
        long x = p.buffer(size, (byte) 0);
        long y = p.buffer(size, (byte) 0);
        c.submit(List.of(new DmaCommand.Fill(x, size, 0x0A0A0A0A)), null);
        c.submit(List.of(new DmaCommand.Copy(x, y, size)), null);
        long last = c.submit(List.of(new DmaCommand.Fill(x, size, 0x0B0B0B0B)), null);
        s.interrupts().await(c.handle, last, Session.WAIT_MILLIS, "three submissions on one context");
        Bytes.expect(p, y, Bytes.pattern(0x0A0A0A0A, size), "the copy between the two fills (submissions ran out of order,"
                + " or one ran again)");
        Bytes.expect(p, x, Bytes.pattern(0x0B0B0B0B, size), "the last fill (an earlier submission ran again after it)");
    }

    /** A long fill on a render context, a small copy on a copy context: each fence only after its own bytes. */
    static void afterWork(Session s) {
        KitProcess p = s.process();
        KitProcess.Device d = p.device();
        KitProcess.Context render = d.context(EngineNode.RENDER, 0);
        KitProcess.Context copy = d.context(EngineNode.COPY, 0);
        int big = 32 << 20;
        long target = p.buffer(big, (byte) 0);
        long small = p.buffer(8192, (byte) 0x33);
        // the buffer is resident (pinned, no page requests to slow the fill), so the fill writes it eight
        // times and only the last pass's pattern counts: a fence reported at submission finds it not there
        List<DmaCommand> passes = new ArrayList<>();
        for (int pass = 0; pass < 7; pass++) {
            passes.add(new DmaCommand.Fill(target, big, 0x0BADF00D));
        }
        passes.add(new DmaCommand.Fill(target, big, 0x600DF111));
        long fillFence = render.submit(passes, lastBytes(p, target + big - 4, 0x600DF111));
        long copyFence = copy.submit(List.of(new DmaCommand.Copy(small, small + 4096, 4096)), null);
        s.interrupts().await(copy.handle, copyFence, Session.WAIT_MILLIS, "the small copy");
        s.interrupts().await(render.handle, fillFence, Session.WAIT_MILLIS, "the 32 MiB fill");
    }

    /** Seeded: two devices, a render and a copy context each, random fills submitted without waiting. */
    static void order(Session s) {
        Random random = new Random(0x5EED);
        List<KitProcess.Context> contexts = new ArrayList<>();
        List<KitProcess> owners = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            KitProcess p = s.process();
            KitProcess.Device d = p.device();
            for (EngineNode node : EngineNode.values()) {
                contexts.add(d.context(node, 0));
                owners.add(p);
            }
        }
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < contexts.size(); i++) {
                KitProcess p = owners.get(i);
                int size = 4096 << random.nextInt(10);
                int pattern = random.nextInt() | 1;
                long va = p.buffer(size, (byte) 0);
                contexts.get(i).submit(List.of(new DmaCommand.Fill(va, size, pattern)), lastBytes(p, va + size - 4, pattern));
            }
        }
        for (KitProcess.Context c : contexts) {
            s.interrupts().await(c.handle, c.lastFence(), Session.WAIT_MILLIS, c.node + " context");
        }
    }

    /**
     * A command buffer the process wrote into its own memory (the hardware's packets: a fill, then a
     * copy of what the fill wrote): DxgkDdiSubmitCommandVirtual runs it from there, and its fence is
     * reported only once the copy's last bytes are written.
     */
    static void commandBuffer(Session s) {
        KitProcess p = s.process();
        KitProcess.Context copy = p.device().context(EngineNode.COPY, 0);
        int size = 64 << 10;
        long target = p.buffer(2L * size, (byte) 0);
        long buffer = p.buffer(4096, (byte) 0);
        byte[] packets = CommandPackets.encode(List.of(new GpuCommand.Fill(target, size, 0xB0FFE4ED),
                new GpuCommand.Copy(target, target + size, size)));
        p.memory.write(buffer, packets);
        long fence = copy.submitBuffer(buffer, packets.length, lastBytes(p, target + 2L * size - 4, 0xB0FFE4ED));
        s.interrupts().await(copy.handle, fence, Session.WAIT_MILLIS, "the command buffer's fill and copy");
    }

    /** A probe: the four bytes at {@code va} hold {@code pattern}. */
    static Interrupts.Probe lastBytes(KitProcess p, long va, int pattern) {
        return () -> {
            byte[] b = p.memory.read(va, 4);
            int v = (b[0] & 0xFF) | (b[1] & 0xFF) << 8 | (b[2] & 0xFF) << 16 | (b[3] & 0xFF) << 24;
            return v == pattern ? null : "the last bytes of its fill at VA 0x" + Long.toHexString(va) + " hold 0x"
                    + Integer.toHexString(v) + ", not 0x" + Integer.toHexString(pattern);
        };
    }
}
