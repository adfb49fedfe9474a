package kmd.api;

import java.util.Set;

/**
 * A driver's description of one allocation (DXGK_ALLOCATIONINFO).
 *
 * @param size              bytes, at least the requested size
 * @param alignment         required alignment, a power of two of at least 4096
 * @param preferredSegment  id of the segment the driver prefers
 * @param flags             the flags the allocation gets
 */
public record AllocationDescription(long size, long alignment, int preferredSegment, Set<AllocationFlag> flags) {
    public AllocationDescription {
        flags = Set.copyOf(flags);
    }
}
