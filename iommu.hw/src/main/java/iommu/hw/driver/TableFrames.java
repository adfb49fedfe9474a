package iommu.hw.driver;

import org.osgi.annotation.versioning.ConsumerType;

/** Where a driver's tables and queues live: zeroed 4 KiB frames of the OS's, given back at close. */
@ConsumerType
public interface TableFrames {
    /** The physical address of a new zeroed frame; throws when memory is exhausted. */
    long allocate();

    void free(long address);
}
