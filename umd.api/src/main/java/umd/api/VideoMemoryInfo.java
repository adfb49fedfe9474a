package umd.api;

import java.util.List;

/**
 * What D3DKMTQueryVideoMemoryInfo tells a device about its process's residency.
 *
 * @param budget                  bytes the process may keep resident
 * @param currentUsage            bytes resident now
 * @param availableForReservation bytes that can still be made resident without an eviction
 * @param evicted                 this device's allocations the kernel evicted to keep the budget since
 *                                the last query: a UMD that tracks residency makes them resident
 *                                again before a submission that uses them
 */
public record VideoMemoryInfo(long budget, long currentUsage, long availableForReservation, List<Long> evicted) {
    public VideoMemoryInfo {
        evicted = List.copyOf(evicted);
    }
}
