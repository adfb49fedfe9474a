package gpu.hw;

/** Counters of the adapter since it started. */
public record GpuStats(long submissionsCompleted, long submissionsFaulted, long submissionsDropped,
                       long bytesRead, long bytesWritten, long engineResets) {
}
