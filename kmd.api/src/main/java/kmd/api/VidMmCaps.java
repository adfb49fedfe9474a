package kmd.api;

/**
 * DXGK_VIDMMCAPS: the memory models a driver supports. VidMm starts the adapter only when
 * {@code virtualAddressingSupported} holds with exactly one of {@code ioMmuSupported} and
 * {@code gpuMmuSupported}, and a required secure mode is supported.
 */
public record VidMmCaps(boolean virtualAddressingSupported, boolean ioMmuSupported, boolean gpuMmuSupported,
                        boolean ioMmuSecureModeSupported, boolean ioMmuSecureModeRequired) {
}
