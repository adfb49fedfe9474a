package umd.api;

/**
 * D3DKMT_TRIMNOTIFICATION: the kernel asks a device to trim its residency set (the UMD's
 * TrimResidencySet, D3DDDIARG_TRIMRESIDENCYSET). The model sends TrimToBudget only, when the OS
 * needs memory ({@code vidmm:trim}).
 *
 * @param trimToBudget   Flags.TrimToBudget: trim at least {@code numBytesToTrim} bytes
 * @param numBytesToTrim NumBytesToTrim
 */
public record TrimNotification(boolean trimToBudget, long numBytesToTrim) {
}
