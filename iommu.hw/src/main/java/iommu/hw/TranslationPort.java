package iommu.hw;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One requester's path into an IOMMU unit (a DMA engine, a GPU engine, a benchmark thread): translates
 * as {@link Iommu#translate} does (IOTLB hit, or walk and fill, page requests, faults recorded) but
 * returns a physical address and allocates nothing on a hit or a walk, and counts its own hits and
 * misses, so that a hit costs an IOTLB probe and no write to anything shared.
 *
 * <p>Not thread safe: one port per thread. The unit's {@link Iommu#stats()} include the counts of open
 * ports (as of a moment ago: the port's thread writes them without synchronization); {@link #close()}
 * adds them, exactly, to the unit's totals. Bad arguments throw as {@link Iommu#translate}
 * does; a port used after {@link #close()} throws {@link IllegalStateException}.
 */
@ProviderType
public interface TranslationPort extends AutoCloseable {
    /** What {@link #physicalAddress} returns for a failed translation. */
    long FAULTED = -1;

    /** The unit this port translates through. */
    int unit();

    /**
     * The physical address of {@code va} for {@code access} by {@code pasid}, or {@link #FAULTED} with the
     * (recorded) fault in {@link #lastFault()}.
     */
    long physicalAddress(int pasid, long va, Access access);

    /** The fault of the last call that returned {@link #FAULTED}, or {@code null}. */
    Translation.Fault lastFault();

    /** Hits and misses of this port so far. */
    long hits();

    long misses();

    /** Adds this port's counts to the unit's and retires the port. Closing twice does nothing. */
    @Override
    void close();
}
