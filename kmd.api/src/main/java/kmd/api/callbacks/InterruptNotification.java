package kmd.api.callbacks;

import kmd.api.EngineNode;

/** DXGKARGCB_NOTIFY_INTERRUPT_DATA, the kinds this model uses. */
public sealed interface InterruptNotification permits InterruptNotification.DmaCompleted,
        InterruptNotification.DmaPageFaulted, InterruptNotification.MonitoredFenceSignaled {

    EngineNode node();

    /**
     * The context (the driver's handle from CreateContext, or 0 for paging) whose work faulted or
     * completed; a completion completes that context's fences only.
     */
    long contextHandle();

    long fenceValue();

    /** DXGK_INTERRUPT_DMA_COMPLETED. */
    record DmaCompleted(EngineNode node, long contextHandle, long fenceValue) implements InterruptNotification {
    }

    /**
     * DXGK_INTERRUPT_DMA_PAGE_FAULTED.
     *
     * @param faultedVa the virtual address that faulted
     * @param pasid     the PASID of the access
     * @param write     whether it was a write
     * @param reason    the IOMMU's fault kind, as text
     * @param ioMmu     true when the IOMMU (not a GPU MMU) raised the fault (DXGK_PAGE_FAULT_IOMMU)
     */
    record DmaPageFaulted(EngineNode node, long contextHandle, long fenceValue, long faultedVa, int pasid,
                          boolean write, String reason, boolean ioMmu) implements InterruptNotification {
    }

    /**
     * DXGK_INTERRUPT_MONITORED_FENCE_SIGNALED (MonitoredFenceSignaled: NodeOrdinal, EngineOrdinal;
     * WDDM 2.2): the GPU wrote a monitored fence's value from a command buffer, so VidMm reads the
     * values of the process's monitored fences again and wakes their waiters, on the CPU and on the
     * GPU. {@code contextHandle} names the context whose buffer wrote it (the WDK's record carries only
     * the engine; the model names the process through it); {@link #fenceValue()} is 0: the value is in
     * memory, not in the interrupt.
     */
    record MonitoredFenceSignaled(EngineNode node, long contextHandle) implements InterruptNotification {
        @Override
        public long fenceValue() {
            return 0;
        }
    }
}
