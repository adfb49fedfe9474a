package iommu.hw;

/**
 * One entry of the IOMMU's fault log.
 *
 * @param sequence increasing number of the fault since the IOMMU started
 * @param fault    what failed
 */
public record FaultRecord(long sequence, Translation.Fault fault) {
    @Override
    public String toString() {
        return "#" + sequence + " " + fault;
    }
}
