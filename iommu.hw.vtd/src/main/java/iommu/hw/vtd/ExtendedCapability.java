package iommu.hw.vtd;

/**
 * The extended capability register (ECAP_REG), the fields this model's software reads before it uses
 * them (bit positions as Linux's {@code ecap_*} macros in drivers/iommu/intel/iommu.h read them). The
 * other fields read as 0: no interrupt remapping, no pass-through, no nesting, no second-level tables,
 * no execute or supervisor requests.
 *
 * @param queuedInvalidation QI, bit 1: the invalidation queue
 * @param deviceTlb          DT, bit 2: devices may cache translations (ATS) and take device-TLB invalidations
 * @param pageRequests       PRS, bit 29: page requests
 * @param pasidSize          PSS, bits 39:35: the unit takes PASIDs of {@code pasidSize + 1} bits
 * @param pasid              PASID, bit 40: requests with a PASID
 * @param throttle           DIT, bit 41: device-TLB invalidations carry PFSID
 * @param scalableMode       SMTS, bit 43: scalable-mode root, context and PASID tables
 * @param firstLevel         FLTS, bit 47: first-level translation (the x86 page tables a process's CPU uses)
 */
public record ExtendedCapability(boolean queuedInvalidation, boolean deviceTlb, boolean pageRequests, int pasidSize,
                                 boolean pasid, boolean throttle, boolean scalableMode, boolean firstLevel) {
    public ExtendedCapability {
        Bits.fits("PSS", pasidSize, 5);
    }

    /** The register's 64 bits. */
    public long encode() {
        return Bits.bit(queuedInvalidation, 1) | Bits.bit(deviceTlb, 2) | Bits.bit(pageRequests, 29) | (long) pasidSize << 35
                | Bits.bit(pasid, 40) | Bits.bit(throttle, 41) | Bits.bit(scalableMode, 43) | Bits.bit(firstLevel, 47);
    }

    /** The fields of a register value (the others are ignored). */
    public static ExtendedCapability decode(long ecap) {
        return new ExtendedCapability((ecap & 1L << 1) != 0, (ecap & 1L << 2) != 0, (ecap & 1L << 29) != 0,
                (int) Bits.field(ecap, 35, 5), (ecap & 1L << 40) != 0, (ecap & 1L << 41) != 0, (ecap & 1L << 43) != 0,
                (ecap & 1L << 47) != 0);
    }
}
