package umd.api;

/**
 * What D3DKMTQueryVideoMemoryInfo tells a device about its process's residency
 * (D3DKMT_QUERYVIDEOMEMORYINFO).
 *
 * @param budget                  Budget: bytes the process may keep resident
 * @param currentUsage            CurrentUsage: bytes resident now
 * @param availableForReservation AvailableForReservation: bytes that can still be made resident within the budget
 */
public record VideoMemoryInfo(long budget, long currentUsage, long availableForReservation) {
}
