package gpu.hw;

import iommu.hw.Access;
import iommu.hw.FaultKind;

/** An interrupt the adapter raises to the attached driver. */
public sealed interface Interrupt permits Interrupt.DmaCompleted, Interrupt.DmaPageFaulted, Interrupt.DmaFaulted,
        Interrupt.MonitoredFenceSignaled {

    EngineType engine();

    /** A submission finished; its fence value is now complete. */
    record DmaCompleted(EngineType engine, long contextId, long fenceValue) implements Interrupt {
    }

    /**
     * A submission stopped on a fault the OS could not resolve. The engine halts (status
     * {@link EngineStatus#FAULTED}) until it is reset; later submissions wait.
     *
     * @param iommuFault true: the IOMMU refused the request (always, in this model)
     */
    record DmaPageFaulted(EngineType engine, long contextId, long fenceValue, int pasid, long faultedVa,
                          Access access, FaultKind kind, boolean iommuFault) implements Interrupt {
    }

    /**
     * The command processor found a command buffer it cannot execute (DXGK_INTERRUPT_DMA_FAULTED): a
     * packet at {@code faultedVa} that is not valid ({@code reason} says how). None of the buffer ran;
     * the engine halts (status {@link EngineStatus#FAULTED}) until it is reset.
     */
    record DmaFaulted(EngineType engine, long contextId, long fenceValue, int pasid, long faultedVa, String reason)
            implements Interrupt {
    }

    /**
     * A WRITE_FENCE packet of a command buffer wrote a monitored fence's value to memory
     * (DXGK_INTERRUPT_MONITORED_FENCE_SIGNALED, raised as the write lands, before the buffer
     * completes): whoever waits for a monitored fence of the submitting context's process should read
     * its value again. Commands a driver encoded itself raise none (their completion says it).
     */
    record MonitoredFenceSignaled(EngineType engine, long contextId) implements Interrupt {
    }
}
