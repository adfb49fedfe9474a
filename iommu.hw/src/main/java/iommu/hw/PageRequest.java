package iommu.hw;

/** A page request (PCIe PRI) for a page that a translation found not present. */
public record PageRequest(int pasid, long va, Access access) {
}
