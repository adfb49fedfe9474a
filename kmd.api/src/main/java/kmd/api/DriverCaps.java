package kmd.api;

/**
 * DXGK_DRIVERCAPS, the part this model uses.
 *
 * @param apertureSegmentCommitLimit bytes of system memory the driver lets VidMm map into the
 *                                   aperture segment at once
 */
public record DriverCaps(long apertureSegmentCommitLimit) {
}
