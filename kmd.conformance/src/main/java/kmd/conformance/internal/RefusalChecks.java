package kmd.conformance.internal;

import java.util.ArrayList;
import java.util.List;

import kmd.api.AllocationRequest;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.KernelModeDriver;
import kmd.api.PagingOperation;
import kmd.api.SegmentDescriptor;

import static kmd.conformance.internal.CheckFailed.require;

/**
 * What a driver must refuse, and that a refusal changes nothing: work during exclusive access, and
 * DDIs naming handles, GPUs, sources, segments or aperture pages that do not exist. Each must throw
 * with a message; afterwards the aperture, the scanout and the driver's live contexts are as they were.
 */
final class RefusalChecks {
    /** A handle no driver gives out in a check (the kit makes a few dozen objects at most). */
    private static final long UNKNOWN = 0x7EAD_0000_0000_0001L;

    private RefusalChecks() {
    }

    static List<Check<Session>> all() {
        return List.of(new Check<>("exclusive-access", RefusalChecks::exclusiveAccess),
                new Check<>("ddi.refusal", RefusalChecks::refusals));
    }

    static void exclusiveAccess(Session s) {
        KitProcess p = s.process();
        KitProcess.Context c = p.device().context(EngineNode.COPY, 0);
        long va = p.buffer(4096, (byte) 0x22);
        s.kmd().beginExclusiveAccess();
        CheckFailed.refused(() -> c.submit(new DmaCommand.Fill(va, 4096, 0x33333333)), "SubmitCommand during exclusive access");
        CheckFailed.refused(() -> s.pagingRefused(new PagingOperation.Fill(p.pasids[0], va, 4096, 0x44444444)),
                "BuildPagingBuffer (Fill) during exclusive access");
        s.kmd().endExclusiveAccess();
        long after = p.buffer(4096, (byte) 0);
        c.run(new DmaCommand.Fill(after, 4096, 0x55555555), "SubmitCommand after EndExclusiveAccess");
        Bytes.expect(p, va, Bytes.repeat((byte) 0x22, 4096), "work refused during exclusive access ran all the same");
    }

    static void refusals(Session s) {
        KernelModeDriver k = s.kmd();
        KitProcess p = s.process();
        KitProcess.Device d = p.device();
        KitProcess.Context c = d.context(EngineNode.RENDER, 0);
        SegmentDescriptor seg = s.apertureSegment();
        long mappedBefore = s.gpu.apertureMappedPages();
        int sources = s.gpu.displayModes().size();
        List<Long> scanoutBefore = new ArrayList<>();
        for (int i = 0; i < sources; i++) {
            scanoutBefore.add(s.gpu.scanoutAddress(i));
        }
        long frame = s.gpu.aperture().dummyFrame();
        long pages = seg.size() >>> 12;
        int unknownSegment = s.info().segments().stream().mapToInt(SegmentDescriptor::id).max().orElse(0) + 1;

        CheckFailed.refused(() -> k.createProcess(p.pid, new int[0]), "CreateProcess with no PASID");
        CheckFailed.refused(() -> k.createDevice(UNKNOWN, p.pasids[0]), "CreateDevice of an unknown process");
        int render = EngineNode.RENDER.nodeOrdinal();
        CheckFailed.refused(() -> k.createContext(UNKNOWN, render, 1), "CreateContext of an unknown device");
        CheckFailed.refused(() -> k.createContext(d.handle, render, 1 << s.gpu.physicalGpus()),
                "CreateContext with EngineAffinity of physical GPU " + s.gpu.physicalGpus() + " of an adapter of "
                        + s.gpu.physicalGpus());
        CheckFailed.refused(() -> k.createContext(d.handle, render, 0), "CreateContext with EngineAffinity 0");
        int nodes = EngineNode.values().length; // NodeOrdinal past the adapter's last node
        CheckFailed.refused(() -> k.createContext(d.handle, nodes, 1), "CreateContext of NodeOrdinal " + nodes
                + " (the adapter has " + nodes + " nodes)");
        CheckFailed.refused(() -> k.openAllocation(UNKNOWN, 0x7000, true), "OpenAllocation of an unknown device");
        CheckFailed.refused(() -> k.submitCommand(UNKNOWN, List.of(new DmaCommand.Fill(0x10000, 4, 1)), 1),
                "SubmitCommand on an unknown context");
        CheckFailed.refused(() -> k.createAllocation(UNKNOWN, new AllocationRequest(4096, false)), "CreateAllocation of an unknown device");
        CheckFailed.refused(() -> k.destroyContext(UNKNOWN), "DestroyContext of an unknown context");
        CheckFailed.refused(() -> k.destroyDevice(UNKNOWN), "DestroyDevice of an unknown device");
        CheckFailed.refused(() -> k.destroyProcess(UNKNOWN), "DestroyProcess of an unknown process");
        CheckFailed.refused(() -> k.setVidPnSourceAddress(sources, seg.id(), 0), "SetVidPnSourceAddress of source " + sources
                + " (the adapter has " + sources + ")");
        if (sources > 0) {
            CheckFailed.refused(() -> k.setVidPnSourceAddress(0, unknownSegment, 0), "SetVidPnSourceAddress in segment "
                    + unknownSegment + ", which does not exist");
        }
        CheckFailed.refused(() -> s.pagingRefused(new PagingOperation.MapApertureSegment(seg.id(), pages - 1, new long[] {frame, frame})),
                "MapApertureSegment past the end of the aperture segment");
        CheckFailed.refused(() -> s.pagingRefused(new PagingOperation.MapApertureSegment(unknownSegment, 0, new long[] {frame})),
                "MapApertureSegment of segment " + unknownSegment + ", which does not exist");

        require(s.gpu.apertureMappedPages() == mappedBefore, "a refused DDI changed the aperture: "
                + s.gpu.apertureMappedPages() + " pages mapped, " + mappedBefore + " before");
        for (int i = 0; i < sources; i++) {
            require(s.gpu.scanoutAddress(i) == scanoutBefore.get(i), "a refused DDI changed source " + i + "'s scanout");
        }
        long va = p.buffer(4096, (byte) 0);
        c.run(new DmaCommand.Fill(va, 4096, 0x0E0E0E0E), "the live context after the refusals");
        Bytes.expect(p, va, Bytes.pattern(0x0E0E0E0E, 4096), "the live context after the refusals");
    }
}
