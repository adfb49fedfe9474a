package kmd.conformance.internal;

import java.util.List;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import os.memmgr.PageProtection;

import static kmd.conformance.internal.CheckFailed.require;

/** Whose memory a device's work reaches: its own process's, through that process's PASID on each GPU. */
final class IsolationChecks {
    /** Both processes of {@link #isolation} map their buffer here. */
    private static final long SAME_VA = 0x4000_0000L;
    private static final int SIZE = 64 * 1024;

    private IsolationChecks() {
    }

    static List<Check<Session>> all() {
        return List.of(new Check<>("process.pasids", IsolationChecks::perGpu),
                new Check<>("pasid.isolation", IsolationChecks::isolation));
    }

    /** A context on each physical GPU writes the process's own memory (its PASID for that GPU). */
    static void perGpu(Session s) {
        KitProcess p = s.process();
        KitProcess.Device d = p.device();
        for (int g = 0; g < s.gpu.physicalGpus(); g++) {
            for (EngineNode node : EngineNode.values()) {
                KitProcess.Context c = d.context(node, g);
                long va = p.buffer(8192, (byte) 0);
                int pattern = 0x11000000 | g << 16 | node.ordinal() << 8 | 0x77;
                String what = node + " context on physical GPU " + g;
                c.run(new DmaCommand.Fill(va, 8192, pattern), what);
                Bytes.expect(p, va, Bytes.pattern(pattern, 8192), what + " did not fill its process's memory");
            }
        }
    }

    /**
     * Two processes with a buffer at the same VA: each device's fills and copies land in its own
     * process only (a driver that tags work with another process's PASID writes the other one).
     */
    static void isolation(Session s) {
        KitProcess a = s.process();
        KitProcess b = s.process();
        for (KitProcess p : List.of(a, b)) {
            p.memory.reserve(SAME_VA, SIZE);
            p.memory.commit(SAME_VA, SIZE, PageProtection.READWRITE);
            p.memory.pin(SAME_VA, SIZE, true); // resident, as KitProcess.buffer makes memory the GPU uses
        }
        KitProcess.Device da = a.device();
        KitProcess.Device db = b.device();
        for (EngineNode node : EngineNode.values()) {
            KitProcess.Context ca = da.context(node, 0);
            KitProcess.Context cb = db.context(node, 0);
            int pa = 0xA0A0A000 | node.ordinal();
            int pb = 0xB0B0B000 | node.ordinal();
            cb.run(new DmaCommand.Fill(SAME_VA, SIZE / 2, pb), "process B's fill");
            ca.run(new DmaCommand.Fill(SAME_VA, SIZE / 2, pa), "process A's fill");
            ca.run(new DmaCommand.Copy(SAME_VA, SAME_VA + SIZE / 2, SIZE / 2), "process A's copy");
            Bytes.expect(a, SAME_VA, Bytes.pattern(pa, SIZE / 2), node + ": process A's memory after its fill");
            Bytes.expect(a, SAME_VA + SIZE / 2, Bytes.pattern(pa, SIZE / 2), node + ": process A's memory after its copy");
            Bytes.expect(b, SAME_VA, Bytes.pattern(pb, SIZE / 2), node + ": process B's memory after A's fill (another"
                    + " process's work reached it)");
            require(b.memory.read(SAME_VA + SIZE / 2, 4)[0] == 0, node
                    + ": process A's copy wrote process B's memory (another process's PASID)");
        }
    }
}
