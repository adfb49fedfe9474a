package umd.api;

/**
 * What a user-mode driver asks of an allocation when it creates one (D3DKMTCreateAllocation). The
 * kernel-mode driver's own description of it is {@code kmd.api.AllocationFlag}.
 */
public enum AllocationCreateFlag {
    /**
     * D3DDDI_ALLOCATIONINFO2.Flags.Primary: a primary, to be scanned out by the display
     * ({@code display:present}). The kernel-mode driver is told (AllocationRequest.primary).
     */
    PRIMARY,
    /**
     * D3DKMT_CREATEALLOCATIONFLAGS.CreateShared: other processes may open it by its shared handle
     * (hGlobalShare), with D3DKMTOpenResource. The OS keeps it in a section; the kernel-mode driver is
     * not told, and sees each process's open as an OpenAllocation without Flags.Create.
     */
    CREATE_SHARED
}
