package iommu.hw;

/**
 * The outcome of a DMA transfer.
 *
 * @param bytesTransferred bytes moved before the transfer ended
 * @param fault            the fault that stopped it, or {@code null} if it completed
 */
public record DmaResult(long bytesTransferred, Translation.Fault fault) {
    public boolean completed() {
        return fault == null;
    }
}
