package iommu.hw;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An attached {@link AtsDevice}'s path through its IOMMU unit: translation requests (the unit
 * translates as {@link Iommu#translate} does, page requests included, and the device may cache the
 * answer), and translated requests, which name physical addresses and reach memory only while the unit
 * allows them: after the device did not answer an invalidation in time, every one is refused (false)
 * until {@link #reset()}. Thread safe.
 */
@ProviderType
public interface AtsPort extends AutoCloseable {
    /** The unit's index. */
    int unit();

    /** The PCI requester id (bus in bits 15:8, device and function in 7:0) the device's requests carry. */
    int requesterId();

    /** Most pages a page request group may have; a larger count is taken as this. */
    int MAX_PAGE_GROUP = 16;

    /** An ATS translation request for {@code va}: a mapping the device may cache, or the (recorded) fault. */
    default Translation translate(int pasid, long va, Access access) {
        return translate(pasid, va, access, 1);
    }

    /**
     * As {@link #translate(int, long, Access)}; when the page is not present the device sends a page
     * request group (PRI) of {@code pages} pages from {@code va}'s on (1..{@link #MAX_PAGE_GROUP}: the
     * pages its transfer goes on to), which the OS answers once for the group. A group the OS refuses is
     * asked again for {@code va}'s page alone, so that a fault names the page that failed.
     */
    Translation translate(int pasid, long va, Access access, int pages);

    /** A translated read of {@code length} bytes at {@code pa}; false if the unit refuses the device's translated requests. */
    boolean read(long pa, byte[] dst, int offset, int length);

    /** A translated write; false if refused. */
    boolean write(long pa, byte[] src, int offset, int length);

    /** A translated copy between two physical ranges; false if refused. */
    boolean copy(long srcPa, long dstPa, int length);

    /** Whether the unit refuses this device's translated requests now (it timed out an invalidation). */
    boolean blocked();

    /** The device's translation cache is empty again (it was reset): the unit accepts its translated requests. */
    void reset();

    /** Detaches the device: it receives no more invalidations and its requests are refused. */
    @Override
    void close();
}
