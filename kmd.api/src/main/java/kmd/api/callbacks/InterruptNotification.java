package kmd.api.callbacks;

import kmd.api.EngineNode;

/** DXGKARGCB_NOTIFY_INTERRUPT_DATA, the kinds this model uses. */
public sealed interface InterruptNotification permits InterruptNotification.DmaCompleted,
        InterruptNotification.DmaPageFaulted, InterruptNotification.MonitoredFenceSignaled {

    /** NodeOrdinal: the node of the context whose work raised it. */
    EngineNode node();

    /** EngineOrdinal: the physical GPU (of a linked adapter; 0 otherwise) of the context whose work raised it. */
    int engineOrdinal();

    /**
     * The node's SubmissionFenceId it is about (DMA_COMPLETED's SubmissionFenceId, DMA_PAGE_FAULTED's
     * FaultedFenceId), or 0 (MONITORED_FENCE_SIGNALED carries none).
     */
    long fenceValue();

    /**
     * DXGK_INTERRUPT_DMA_COMPLETED (DmaCompleted: SubmissionFenceId, NodeOrdinal, EngineOrdinal): the
     * submission VidMm gave {@code submissionFenceId} on this node of physical GPU {@code engineOrdinal}
     * completed. It names no context: VidMm knows which submission (and so which context and fence of
     * the context's own timeline) it gave that id.
     *
     * @param node              NodeOrdinal
     * @param engineOrdinal     EngineOrdinal: the physical GPU of a linked adapter (0 otherwise)
     * @param submissionFenceId SubmissionFenceId
     */
    record DmaCompleted(EngineNode node, int engineOrdinal, long submissionFenceId) implements InterruptNotification {
        /** SubmissionFenceId. */
        @Override
        public long fenceValue() {
            return submissionFenceId;
        }
    }

    /**
     * DXGK_INTERRUPT_DMA_PAGE_FAULTED (DXGKARGCB_NOTIFY_INTERRUPT_DATA.DmaPageFaulted, WDDM 2.0 fields).
     * Unless {@link PageFaultFlags#FENCE_INVALID} is set, the submission with {@code faultedFenceId}
     * faulted and VidMm treats the context's earlier submissions as completed; the reset bits say what
     * VidMm resets (none: the faulting device is put in error and nothing is reset).
     *
     * @param node                  NodeOrdinal, as the node: the faulting context's
     * @param engineOrdinal         EngineOrdinal: the faulting context's physical GPU (0 on an adapter of one)
     * @param contextHandle         the faulting context (the driver's handle; with HW_CONTEXT_VALID), or 0
     * @param faultedFenceId        FaultedFenceId: the node's SubmissionFenceId of the submission that faulted
     * @param faultedVirtualAddress FaultedVirtualAddress
     * @param pageFaultFlags        PageFaultFlags: {@link PageFaultFlags} bits
     * @param faultErrorCode        FaultErrorCode
     * @param faultedProcessHandle  FaultedProcessHandle: the driver's handle of the faulting process (with
     *                              PROCESS_HANDLE_VALID), or 0
     * @param pasid                 the PASID the IOMMU reported (the model's addition: the WDK names the
     *                              process by its handle only)
     * @param reason                the fault's kind as text, e.g. the IOMMU's {@code NOT_PRESENT} (the model's addition)
     */
    record DmaPageFaulted(EngineNode node, int engineOrdinal, long contextHandle, long faultedFenceId, long faultedVirtualAddress,
                          int pageFaultFlags, FaultErrorCode faultErrorCode, long faultedProcessHandle, int pasid,
                          String reason) implements InterruptNotification {
        public DmaPageFaulted {
            java.util.Objects.requireNonNull(faultErrorCode, "FaultErrorCode");
        }

        /** FaultedFenceId. */
        @Override
        public long fenceValue() {
            return faultedFenceId;
        }

        /** Whether the access was a write ({@link PageFaultFlags#WRITE}). */
        public boolean write() {
            return (pageFaultFlags & PageFaultFlags.WRITE) != 0;
        }

        /** Whether the IOMMU, not a GPU MMU, mapped the address ({@link PageFaultFlags#IOMMU}). */
        public boolean ioMmu() {
            return (pageFaultFlags & PageFaultFlags.IOMMU) != 0;
        }
    }

    /**
     * DXGK_INTERRUPT_MONITORED_FENCE_SIGNALED (MonitoredFenceSignaled: NodeOrdinal, EngineOrdinal;
     * WDDM 2.2): the GPU wrote a monitored fence's value from a command buffer, so VidMm reads the
     * values of the process's monitored fences again and wakes their waiters, on the CPU and on the
     * GPU. {@code contextHandle} names the context whose buffer wrote it (the WDK's record carries only
     * the node and engine; the model names the process through it); {@link #fenceValue()} is 0: the
     * value is in memory, not in the interrupt.
     *
     * @param node          NodeOrdinal: the writing context's
     * @param engineOrdinal EngineOrdinal: the writing context's physical GPU
     * @param contextHandle the writing context (the driver's handle)
     */
    record MonitoredFenceSignaled(EngineNode node, int engineOrdinal, long contextHandle) implements InterruptNotification {
        @Override
        public long fenceValue() {
            return 0;
        }
    }
}
