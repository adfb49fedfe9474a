package kmd.api;

import java.util.Set;

/** What VidMm asks a driver to describe in DxgkDdiCreateAllocation. */
public record AllocationRequest(long size, Set<AllocationFlag> flags) {
    public AllocationRequest {
        flags = Set.copyOf(flags);
    }
}
