package vidmm;

import kmd.api.EngineNode;

/**
 * A GPU page fault (or time-out) VidMm handled.
 *
 * @param device  the device put in error (0: none, the adapter's fault)
 * @param node    the engine it happened on; null for the adapter's (its IOMMU unit reported the GPU)
 * @param outcome   what VidMm did: "engine reset", "adapter reset", or that it reset nothing
 * @param adapter   the adapter it happened on
 * @param interrupt the driver's DXGK_INTERRUPT_DMA_PAGE_FAULTED as the WDK names its fields
 *                  (FaultedFenceId, PageFaultFlags, FaultErrorCode, FaultedProcessHandle); empty for a
 *                  time-out or the adapter's own fault
 */
public record GpuFault(long sequence, long device, int pid, EngineNode node, int pasid, long va, boolean write,
                       String reason, String outcome, int adapter, String interrupt) {
}
