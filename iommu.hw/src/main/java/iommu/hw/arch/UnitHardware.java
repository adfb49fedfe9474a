package iommu.hw.arch;

import org.osgi.annotation.versioning.ProviderType;

import iommu.hw.Invalidation;
import iommu.hw.SystemMemory;

/**
 * What the neutral unit offers its architecture's part: what that part's invalidation commands and
 * completion waits do to the unit's caches, requests in flight and devices.
 */
@ProviderType
public interface UnitHardware {
    /** The unit's index. */
    int unit();

    /** The memory the unit's tables and queues are in. */
    SystemMemory memory();

    /** Drops the IOTLB's (and paging-structure cache's) translations in {@code scope}. */
    void invalidateIotlb(Invalidation scope);

    /**
     * Returns once every request that was in flight when it was called has completed: what a completion
     * wait does before it signals, so that software that saw the signal knows no request still uses a
     * translation the commands before it removed.
     */
    void drain();

    /**
     * Sends a device-TLB invalidation of {@code [va, va + length)} for {@code pasid} to each ATS device
     * with {@code requesterId} attached to the unit, each given the unit's time-out.
     *
     * @return the requester id of a device that did not answer in time (refused from then on until it
     *         resets), or -1 when every device answered
     */
    int invalidateDeviceTlb(int requesterId, int pasid, long va, long length);
}
