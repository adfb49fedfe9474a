package vidmm;

/**
 * A process's residency against its budget, as D3DKMTQueryVideoMemoryInfo reports it.
 *
 * @param pid                      the process
 * @param budget                   bytes the process may keep resident
 * @param currentUsage             bytes resident now (pinned for the GPU)
 * @param availableForReservation  bytes that can still be made resident within the budget
 */
public record VideoMemoryInfo(int pid, long budget, long currentUsage, long availableForReservation) {
}
