package kmd.api;

/**
 * What VidMm asks a driver to describe in DxgkDdiCreateAllocation (DXGKARG_CREATEALLOCATION, one
 * allocation of it).
 *
 * <p>Simpler than WDDM on purpose: there, what an allocation is for reaches the kernel-mode driver
 * only in the user-mode driver's private data (pPrivateDriverData), a format each vendor defines for
 * its own pair of drivers; the OS asks for its own primaries through
 * D3DKMDT_STANDARDALLOCATION_SHAREDPRIMARYSURFACE. Here user-mode and kernel-mode drivers of
 * different vendors are mixed, so the one fact a driver needs, whether the allocation is a primary,
 * is passed as a field.
 *
 * @param size    bytes the application asked for
 * @param primary the application created it as a primary (D3DDDI_ALLOCATIONINFO2.Flags.Primary), to be
 *                scanned out by the display
 */
public record AllocationRequest(long size, boolean primary) {
}
