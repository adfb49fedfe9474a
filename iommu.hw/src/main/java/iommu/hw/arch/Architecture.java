package iommu.hw.arch;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * An IOMMU architecture: the formats of a unit's own tables and queues in memory and its registers.
 * Registered as a service with {@link #ARCH}; a unit whose configuration names it ({@code arch}) builds
 * its part with {@link #create} when it starts.
 */
@ConsumerType
public interface Architecture {
    /** Service property: the architecture's name, as a unit's configuration ({@code arch}) and the shell name it. */
    String ARCH = "iommu.arch";

    /** This architecture's part of a new unit, which does everything else through {@code hardware}. */
    ArchitectureUnit create(UnitHardware hardware);
}
