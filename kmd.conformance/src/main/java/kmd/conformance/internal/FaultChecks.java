package kmd.conformance.internal;

import java.util.List;

import gpu.hw.EngineStatus;
import gpu.hw.EngineType;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.callbacks.FaultErrorCode;
import kmd.api.callbacks.InterruptNotification;
import kmd.api.callbacks.PageFaultFlags;
import os.memmgr.PageProtection;

import static kmd.conformance.internal.CheckFailed.require;

/**
 * Induced GPU page faults (as HLK's "Page Fault Test - Induce Fault"): a write to an address with
 * no memory, and a write to read-only memory, are reported with the context, PASID, VA and access
 * of the faulting request; after ResetEngine the engine runs again, and what was queued behind the
 * fault is dropped, never reported complete.
 */
final class FaultChecks {
    private FaultChecks() {
    }

    static List<Check<Session>> all() {
        return List.of(new Check<>("fault.invalid-va", FaultChecks::invalidVa), new Check<>("fault.read-only", FaultChecks::readOnly),
                new Check<>("fault.fetch", FaultChecks::fetch), new Check<>("engine.reset", FaultChecks::engineReset));
    }

    static void invalidVa(Session s) {
        KitProcess p = s.process();
        long reserved = p.memory.reserve(0, 64 * 1024); // reserved, nothing committed
        induce(s, p, reserved + 0x1010, "a write to reserved, uncommitted memory");
    }

    static void readOnly(Session s) {
        KitProcess p = s.process();
        long va = p.memory.allocate(4 * 4096, PageProtection.READWRITE);
        p.memory.write(va + 2 * 4096, new byte[] {1});
        p.memory.protect(va + 2 * 4096, 4096, PageProtection.READONLY);
        induce(s, p, va + 2 * 4096 + 0x20, "a write to read-only memory");
        require(p.memory.read(va + 2 * 4096, 1)[0] == 1, "the refused write changed the read-only page");
    }

    /** A fill of 64 bytes at {@code va} on a render context must fault exactly there; then reset and recover. */
    private static void induce(Session s, KitProcess p, long va, String what) {
        KitProcess.Device d = p.device();
        KitProcess.Context c = d.context(EngineNode.RENDER, 0);
        long fence = c.submit(new DmaCommand.Fill(va, 64, 0xBAD0BAD0));
        InterruptNotification.DmaPageFaulted f = s.interrupts().awaitFault(0, Session.WAIT_MILLIS, what);
        require(f.contextHandle() == c.handle, what + ": the fault names context 0x" + Long.toHexString(f.contextHandle())
                + ", not the faulting one 0x" + Long.toHexString(c.handle));
        require(f.fenceValue() == c.lastSubmissionFenceId(), what + ": the fault names FaultedFenceId " + f.fenceValue()
                + ", not the SubmissionFenceId " + c.lastSubmissionFenceId() + " the faulting submission was given (fence "
                + fence + " of its context)");
        require(f.pasid() == p.pasids[0], what + ": the fault names PASID " + f.pasid() + ", the process's is " + p.pasids[0]);
        require(f.faultedVirtualAddress() == va, what + ": the fault names VA 0x" + Long.toHexString(f.faultedVirtualAddress())
                + ", the first byte that faulted is 0x" + Long.toHexString(va));
        require(f.write(), what + ": the fault is reported as a read (PageFaultFlags without DXGK_PAGE_FAULT_WRITE)");
        int flags = f.pageFaultFlags();
        require((flags & PageFaultFlags.IOMMU) != 0, what + ": PageFaultFlags " + PageFaultFlags.describe(flags)
                + " lack DXGK_PAGE_FAULT_IOMMU, though the IOMMU mapped the address");
        require((flags & PageFaultFlags.HW_CONTEXT_VALID) != 0, what + ": PageFaultFlags " + PageFaultFlags.describe(flags)
                + " lack DXGK_PAGE_FAULT_HW_CONTEXT_VALID, though the fault names a context");
        require((flags & PageFaultFlags.FENCE_INVALID) == 0, what + ": PageFaultFlags say FENCE_INVALID, though the"
                + " faulting submission (fence " + fence + ") is known");
        require((flags & (PageFaultFlags.ENGINE_RESET_REQUIRED | PageFaultFlags.ADAPTER_RESET_REQUIRED)) != 0, what
                + ": PageFaultFlags " + PageFaultFlags.describe(flags) + " ask for no reset, though the engine halted");
        require(f.faultErrorCode().equals(FaultErrorCode.PAGE_FAULT), what + ": FaultErrorCode " + f.faultErrorCode()
                + ", not PAGE_FAULT");
        require((flags & PageFaultFlags.PROCESS_HANDLE_VALID) == 0 || f.faultedProcessHandle() == p.handle, what
                + ": FaultedProcessHandle 0x" + Long.toHexString(f.faultedProcessHandle()) + " is not the process's 0x"
                + Long.toHexString(p.handle));
        require(f.node() == EngineNode.RENDER && f.engineOrdinal() == 0, what + ": the fault is reported on NodeOrdinal "
                + f.node() + " EngineOrdinal " + f.engineOrdinal() + ", the faulting context's are RENDER and 0");
        require(s.interrupts().completed(c.handle) < fence, what + ": the faulted fence was also reported complete");
        recovers(s, p, c, EngineNode.RENDER, 0x0C0C0C0C, "work on a new device after the fault and ResetEngine");
    }

    /**
     * A command buffer whose packet runs into a page that is not there (reserved, never committed):
     * the engine's fetch faults, and the driver reports it as DMA_PAGE_FAULTED of that submission
     * (FaultedFenceId its SubmissionFenceId, HW_CONTEXT_VALID with its context, the context's
     * NodeOrdinal and EngineOrdinal) at the first byte it could not fetch, a read, through the IOMMU;
     * nothing of the buffer runs, its fence is never reported, and after ResetEngine the engine runs
     * again.
     */
    static void fetch(Session s) {
        KitProcess p = s.process();
        KitProcess.Context c = p.device().context(EngineNode.COPY, 0);
        long target = p.buffer(4096, (byte) 0x55);
        long base = p.memory.reserve(0, 2 * 4096);
        p.memory.commit(base, 4096, PageProtection.READWRITE);
        p.memory.pin(base, 4096, true); // resident; the second page is reserved only
        byte[] packets = gpu.hw.CommandPackets.encode(List.of(new gpu.hw.GpuCommand.Fill(target, 4096, 0xFE7C4FA1)));
        long at = base + 4096 - 16; // the packet's first 16 bytes in the page, the rest in the one that is not there
        p.memory.write(at, java.util.Arrays.copyOf(packets, 16));
        long fence = c.submitBuffer(at, packets.length, null);
        String what = "a command buffer running into memory that is not there";
        InterruptNotification.DmaPageFaulted f = s.interrupts().awaitFault(0, Session.WAIT_MILLIS, what);
        require(f.contextHandle() == c.handle, what + ": the fault names context 0x" + Long.toHexString(f.contextHandle())
                + ", not the submitting one 0x" + Long.toHexString(c.handle));
        require(f.fenceValue() == c.lastSubmissionFenceId(), what + ": the fault names FaultedFenceId " + f.fenceValue()
                + ", not the SubmissionFenceId " + c.lastSubmissionFenceId() + " the buffer was given");
        require(f.faultedVirtualAddress() == base + 4096, what + ": the fault names VA 0x"
                + Long.toHexString(f.faultedVirtualAddress()) + ", the first byte the engine could not fetch is 0x"
                + Long.toHexString(base + 4096));
        require(f.node() == EngineNode.COPY && f.engineOrdinal() == 0, what + ": the fault is reported on NodeOrdinal "
                + f.node() + " EngineOrdinal " + f.engineOrdinal() + ", the submitting context's are COPY and 0 (its"
                + " FaultedFenceId is that node's)");
        require(!f.write(), what + ": a fetch is reported as a write (PageFaultFlags with DXGK_PAGE_FAULT_WRITE)");
        require((f.pageFaultFlags() & PageFaultFlags.IOMMU) != 0, what + ": PageFaultFlags "
                + PageFaultFlags.describe(f.pageFaultFlags()) + " lack DXGK_PAGE_FAULT_IOMMU");
        require(s.interrupts().completed(c.handle) < fence, what + ": its fence was also reported complete");
        Bytes.expect(p, target, Bytes.repeat((byte) 0x55, 4096), what + ": part of it ran all the same");
        recovers(s, p, c, EngineNode.COPY, 0x0E0E0E0E, "work after the fetch fault and ResetEngine");
    }

    /** ResetEngine of {@code node} after {@code c} faulted; then a fill on a new context must run there. */
    private static void recovers(Session s, KitProcess p, KitProcess.Context c, EngineNode node, int pattern, String what) {
        s.kmd().resetEngine(node);
        c.continueFrom(s.interrupts().completed(c.handle)); // the faulted work is gone
        KitProcess.Context after = p.device().context(node, 0);
        long ok = p.buffer(4096, (byte) 0);
        after.run(new DmaCommand.Fill(ok, 4096, pattern), what);
        Bytes.expect(p, ok, Bytes.pattern(pattern, 4096), what);
    }

    /** Work queued behind a fault on the same context is dropped by ResetEngine: never run, never reported. */
    static void engineReset(Session s) {
        KitProcess p = s.process();
        KitProcess.Context c = p.device().context(EngineNode.RENDER, 0);
        long bad = p.memory.reserve(0, 64 * 1024);
        long target = p.buffer(4096, (byte) 0x44);
        c.submit(new DmaCommand.Fill(bad, 64, 1));
        s.interrupts().awaitFault(0, Session.WAIT_MILLIS, "a write to uncommitted memory");
        long dropped = c.submit(new DmaCommand.Fill(target, 4096, 0x99999999));
        s.kmd().resetEngine(EngineNode.RENDER);
        for (int i = 0; i < s.gpu.engineCount(EngineType.RENDER); i++) {
            require(s.gpu.status(EngineType.RENDER, i) != EngineStatus.FAULTED, "render engine " + i
                    + " is still faulted after ResetEngine");
        }
        KitProcess.Context fresh = p.device().context(EngineNode.RENDER, 0);
        long ok = p.buffer(4096, (byte) 0);
        fresh.run(new DmaCommand.Fill(ok, 4096, 0x0D0D0D0D), "work after ResetEngine");
        require(s.interrupts().completed(c.handle) < dropped, "work queued behind the fault was reported complete"
                + " after ResetEngine dropped it");
        Bytes.expect(p, target, Bytes.repeat((byte) 0x44, 4096), "work ResetEngine dropped ran all the same");
        c.continueFrom(s.interrupts().completed(c.handle)); // nothing of it is outstanding any more
    }
}
