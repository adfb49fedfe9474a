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
import kmd.api.callbacks.InterruptNotification;

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

    /** DxgkCbNotifyInterrupt's data for a hardware interrupt. */
    public static InterruptNotification notification(Interrupt interrupt) {
        if (interrupt instanceof Interrupt.DmaCompleted c) {
            return new InterruptNotification.DmaCompleted(node(c.engine()), c.contextId(), c.fenceValue());
        }
        if (interrupt instanceof Interrupt.MonitoredFenceSignaled m) {
            return new InterruptNotification.MonitoredFenceSignaled(node(m.engine()), m.contextId());
        }
        if (interrupt instanceof Interrupt.DmaFaulted d) { // DXGK_INTERRUPT_DMA_FAULTED: reported as a fault of the submission
            return new InterruptNotification.DmaPageFaulted(node(d.engine()), d.contextId(), d.fenceValue(), d.faultedVa(),
                    d.pasid(), false, "INVALID_COMMAND_BUFFER: " + d.reason(), false);
        }
        Interrupt.DmaPageFaulted f = (Interrupt.DmaPageFaulted) interrupt;
        return new InterruptNotification.DmaPageFaulted(node(f.engine()), f.contextId(), f.fenceValue(), f.faultedVa(),
                f.pasid(), f.access() == Access.WRITE, f.kind().name(), f.iommuFault());
    }
}
