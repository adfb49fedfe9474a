package iommu.hw.driver;

import org.osgi.annotation.versioning.ConsumerType;

import iommu.hw.Iommu;

/**
 * An architecture's OS-side driver, one per unit. Registered as a service with
 * {@link iommu.hw.arch.Architecture#ARCH}; the OS opens a driver for each unit whose
 * {@link Iommu#architecture()} it names.
 */
@ConsumerType
public interface IommuDriverFactory {
    /**
     * Takes over {@code unit}: writes its tables and queues in frames from {@code frames}, programs its
     * registers and enables it, its devices' page requests enabled or not.
     *
     * @throws IllegalArgumentException if the unit is not of this architecture or lacks what the driver
     *         uses (the message names it); nothing is left allocated
     */
    IommuDriver open(Iommu unit, TableFrames frames, boolean pageRequests);
}
