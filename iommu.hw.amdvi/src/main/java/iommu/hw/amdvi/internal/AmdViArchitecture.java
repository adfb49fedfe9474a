package iommu.hw.amdvi.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import iommu.hw.Iommu;
import iommu.hw.SystemMemory;
import iommu.hw.amdvi.AmdViDriver;
import iommu.hw.arch.Architecture;
import iommu.hw.arch.ArchitectureUnit;
import iommu.hw.arch.UnitHardware;
import iommu.hw.driver.IommuDriver;
import iommu.hw.driver.IommuDriverFactory;
import iommu.hw.driver.TableFrames;

/**
 * AMD-Vi with guest translation: the hardware's part of each unit configured {@code arch=amdvi}
 * ({@link AmdViUnit}), and the OS-side driver of such a unit ({@link AmdViDriver}).
 */
@Component(service = {Architecture.class, IommuDriverFactory.class}, property = Architecture.ARCH + "=" + AmdViArchitecture.NAME)
public final class AmdViArchitecture implements Architecture, IommuDriverFactory {
    /** The architecture's name, as a unit's configuration names it. */
    public static final String NAME = "amdvi";

    private final SystemMemory memory;

    @Activate
    public AmdViArchitecture(@Reference SystemMemory memory) {
        this.memory = memory;
    }

    @Override
    public ArchitectureUnit create(UnitHardware hardware) {
        return new AmdViUnit(hardware);
    }

    @Override
    public IommuDriver open(Iommu unit, TableFrames frames, boolean pageRequests) {
        return new AmdViDriver(unit, memory, frames, pageRequests);
    }
}
