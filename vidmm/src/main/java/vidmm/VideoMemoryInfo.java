package vidmm;

import java.util.List;

/**
 * A process's residency against its budget, as D3DKMTQueryVideoMemoryInfo reports it.
 *
 * @param pid                      the process
 * @param budget                   bytes the process may keep resident
 * @param currentUsage             bytes resident now (pinned for the GPU)
 * @param availableForReservation  bytes that can still be made resident without an eviction
 * @param evictions                allocations VidMm evicted from this process to stay in budget, since it started
 * @param evicted                  for a device's query: the handles of its allocations VidMm evicted
 *                                 since its last query (the query takes them), so that a UMD can make
 *                                 them resident again before its next submission; empty otherwise
 */
public record VideoMemoryInfo(int pid, long budget, long currentUsage, long availableForReservation, long evictions,
                              List<Long> evicted) {
    public VideoMemoryInfo {
        evicted = List.copyOf(evicted);
    }
}
