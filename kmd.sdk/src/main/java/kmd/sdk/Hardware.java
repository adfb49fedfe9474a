package kmd.sdk;

import java.util.ArrayList;
import java.util.List;

import gpu.hw.DisplayMode;
import gpu.hw.EngineType;
import gpu.hw.GpuAdapter;
import gpu.hw.GpuCommand;
import gpu.hw.Interrupt;
import iommu.hw.Access;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;
import kmd.api.PagingOperation;
import kmd.api.VidPnSourceMode;
import kmd.api.callbacks.FaultErrorCode;
import kmd.api.callbacks.InterruptNotification;
import kmd.api.callbacks.PageFaultFlags;

/** Translations between the DDI types and the simulated hardware's, as every driver of it needs them. */
public final class Hardware {
    private Hardware() {
    }

    public static EngineType engine(EngineNode node) {
        return node == EngineNode.COPY ? EngineType.COPY : EngineType.RENDER;
    }

    public static EngineNode node(EngineType engine) {
        return engine == EngineType.COPY ? EngineNode.COPY : EngineNode.RENDER;
    }

    /** The standard encoding of a DMA command: one GPU command of the same kind. */
    public static GpuCommand encode(DmaCommand c) {
        if (c instanceof DmaCommand.Copy x) {
            return new GpuCommand.Copy(x.srcVa(), x.dstVa(), x.length());
        }
        if (c instanceof DmaCommand.Fill x) {
            return new GpuCommand.Fill(x.dstVa(), x.length(), x.pattern());
        }
        if (c instanceof DmaCommand.FillRect x) {
            return new GpuCommand.FillRect(x.dstVa(), x.pitch(), x.widthBytes(), x.height(), x.pattern());
        }
        if (c instanceof DmaCommand.WriteFence x) {
            return new GpuCommand.WriteFence(x.va(), x.value());
        }
        DmaCommand.Blit x = (DmaCommand.Blit) c;
        return new GpuCommand.Blit(x.srcVa(), x.srcPitch(), x.dstVa(), x.dstPitch(), x.widthBytes(), x.height());
    }

    /** The GPU command of a paging operation that runs on the copy engine (not an aperture map or unmap). */
    public static GpuCommand pagingCommand(PagingOperation op) {
        if (op instanceof PagingOperation.Transfer t) {
            return new GpuCommand.Copy(t.srcVa(), t.dstVa(), t.length());
        }
        if (op instanceof PagingOperation.Fill f) {
            return new GpuCommand.Fill(f.va(), f.length(), f.pattern());
        }
        if (op instanceof PagingOperation.SignalMonitoredFence s) {
            return new GpuCommand.WriteFence(s.fenceVa(), s.value());
        }
        throw new IllegalArgumentException("paging operation " + op + " does not run on an engine");
    }

    /** The adapter's display modes as video present source modes, source ids in order. */
    public static List<VidPnSourceMode> sourceModes(GpuAdapter gpu) {
        List<VidPnSourceMode> modes = new ArrayList<>();
        List<DisplayMode> hw = gpu.displayModes();
        for (int i = 0; i < hw.size(); i++) {
            modes.add(new VidPnSourceMode(i, hw.get(i).width(), hw.get(i).height(), hw.get(i).pitch()));
        }
        return modes;
    }

    /** DxgkCbNotifyInterrupt's data for a hardware interrupt, naming no process ({@link #notification(Interrupt, long)}). */
    public static InterruptNotification notification(Interrupt interrupt) {
        return notification(interrupt, 0);
    }


    /**
     * DxgkCbNotifyInterrupt's data for a hardware interrupt. A fault is DXGK_INTERRUPT_DMA_PAGE_FAULTED
     * with the WDK's flags: the simulated engine halts on any fault, so ENGINE_RESET_REQUIRED; the
     * faulting submission is known (its fence is the FaultedFenceId), so not FENCE_INVALID; IOMMU when
     * the IOMMU reported it; HW_CONTEXT_VALID with the context's handle; PROCESS_HANDLE_VALID with
     * {@code faultedProcessHandle} (the driver's handle of the context's process; 0: unknown). A command
     * buffer the engine cannot decode (DXGK_INTERRUPT_DMA_FAULTED in the hardware) is reported the
     * same way with FaultErrorCode INVALID_INSTRUCTION. A completion is DXGK_INTERRUPT_DMA_COMPLETED of
     * the submission's SubmissionFenceId (the hardware echoes it) on the engine's own node of GPU 0; a
     * driver that runs a node's work on another engine, or drives a linked adapter, reports the
     * context's node and physical GPU instead, as {@code AdapterContext} does.
     */
    public static InterruptNotification notification(Interrupt interrupt, long faultedProcessHandle) {
        return notification(interrupt, faultedProcessHandle, node(interrupt.engine()), 0);
    }

    /**
     * As {@link #notification(Interrupt, long)}, on NodeOrdinal {@code node} and EngineOrdinal {@code
     * engineOrdinal}: those of the context whose work raised it, which a driver that runs a node's work
     * on another engine, or drives a linked adapter, knows and the hardware does not.
     */
    public static InterruptNotification notification(Interrupt interrupt, long faultedProcessHandle, EngineNode node,
                                                     int engineOrdinal) {
        if (interrupt instanceof Interrupt.DmaCompleted c) {
            return new InterruptNotification.DmaCompleted(node, engineOrdinal, c.fenceValue());
        }
        if (interrupt instanceof Interrupt.MonitoredFenceSignaled m) {
            return new InterruptNotification.MonitoredFenceSignaled(node, engineOrdinal, m.contextId());
        }
        if (interrupt instanceof Interrupt.DmaFaulted d) {
            return new InterruptNotification.DmaPageFaulted(node, engineOrdinal, d.contextId(), d.fenceValue(), d.faultedVa(),
                    faultFlags(false, false, d.contextId(), faultedProcessHandle), FaultErrorCode.INVALID_INSTRUCTION,
                    faultedProcessHandle, d.pasid(), "INVALID_COMMAND_BUFFER: " + d.reason());
        }
        Interrupt.DmaPageFaulted f = (Interrupt.DmaPageFaulted) interrupt;
        return new InterruptNotification.DmaPageFaulted(node, engineOrdinal, f.contextId(), f.fenceValue(), f.faultedVa(),
                faultFlags(f.access() == Access.WRITE, f.iommuFault(), f.contextId(), faultedProcessHandle),
                FaultErrorCode.PAGE_FAULT, faultedProcessHandle, f.pasid(), f.kind().name());
    }

    private static int faultFlags(boolean write, boolean iommu, long contextHandle, long processHandle) {
        return PageFaultFlags.ENGINE_RESET_REQUIRED | (write ? PageFaultFlags.WRITE : 0) | (iommu ? PageFaultFlags.IOMMU : 0)
                | (contextHandle != 0 ? PageFaultFlags.HW_CONTEXT_VALID : 0)
                | (processHandle != 0 ? PageFaultFlags.PROCESS_HANDLE_VALID : 0);
    }
}
