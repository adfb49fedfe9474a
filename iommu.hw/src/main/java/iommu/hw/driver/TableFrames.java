package iommu.hw.driver;

import org.osgi.annotation.versioning.ConsumerType;

/** Where a driver's tables and queues live: zeroed 4 KiB frames of the OS's, given back at close. */
@ConsumerType
public interface TableFrames {
    /** The physical address of a new zeroed frame; throws when memory is exhausted. */
    long allocate();

    /**
     * The physical address of {@code frames} new zeroed frames in a row (a power of two, the first aligned
     * to their size), for a table the unit reads as one (AMD-Vi's device table); each is freed alone.
     * Throws when no such run is free.
     */
    long allocateContiguous(int frames);

    void free(long address);
}
