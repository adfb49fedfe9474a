package gpu.hw;

/**
 * A command buffer in the submitting process's memory, queued on an engine: the engine's command
 * processor fetches its {@code bytes} at {@code bufferVa} with {@code pasid}, through the GPU's device
 * TLB and the IOMMU like every other access, decodes the packets ({@link CommandPackets}) and
 * executes them. A fetch that faults is a page fault of this submission; a buffer that is not a
 * sequence of valid packets is a DMA fault ({@link Interrupt.DmaFaulted}) and none of it runs.
 *
 * @param pasid      the PASID the fetch and every access are tagged with
 * @param contextId  the driver's identifier of the submitting context, echoed in interrupts
 * @param bufferVa   where the buffer starts in the PASID's address space
 * @param bytes      its length, 1 .. {@link #MAX_BYTES}
 * @param fenceValue the submission fence value reported by the completion interrupt
 */
public record BufferSubmission(int pasid, long contextId, long bufferVa, int bytes, long fenceValue) {
    /** The largest command buffer an engine fetches. */
    public static final int MAX_BYTES = 1 << 20;
}
