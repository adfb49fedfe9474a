package iommu.hw.amdvi;

/**
 * The extended feature register (EFR, MMIO 0x0030): what the unit supports, at the bits of Linux's
 * {@code FEATURE_*} macros. PPRSup (bit 1), NXSup (3), GTSup (4: guest translation), IASup (6:
 * INVALIDATE_IOMMU_ALL), GLXSup (15:14: GCR3 table levels beyond the first), PASmax (36:32: PASIDs up to
 * 2^(PASmax+1) - 1).
 */
public record ExtendedFeatures(boolean pageRequests, boolean noExecute, boolean guestTranslation,
                               boolean invalidateAll, int glx, int pasMax) {
    public ExtendedFeatures {
        if (glx < 0 || glx > 3 || pasMax < 0 || pasMax > 31) {
            throw new IllegalArgumentException("EFR: GLXSup " + glx + " or PASmax " + pasMax + " does not fit its field");
        }
    }

    public long encode() {
        return Bits.flag(pageRequests, 1) | Bits.flag(noExecute, 3) | Bits.flag(guestTranslation, 4) | Bits.flag(invalidateAll, 6)
                | (long) glx << 14 | (long) pasMax << 32;
    }

    public static ExtendedFeatures decode(long efr) {
        return new ExtendedFeatures(Bits.bit(efr, 1), Bits.bit(efr, 3), Bits.bit(efr, 4), Bits.bit(efr, 6),
                (int) (efr >>> 14) & 0x3, (int) (efr >>> 32) & 0x1F);
    }

    /** The largest PASID: 2^(PASmax+1) - 1 (Linux's max_pasids). */
    public int maxPasid() {
        return (int) Math.min((1L << (pasMax + 1)) - 1, iommu.hw.Pasid.MAX);
    }
}
