package iommu.hw.vtd.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import iommu.hw.Iommu;
import iommu.hw.SystemMemory;
import iommu.hw.arch.Architecture;
import iommu.hw.arch.ArchitectureUnit;
import iommu.hw.arch.UnitHardware;
import iommu.hw.driver.IommuDriver;
import iommu.hw.driver.IommuDriverFactory;
import iommu.hw.driver.TableFrames;
import iommu.hw.vtd.VtdDriver;

/**
 * Intel VT-d in scalable mode: the hardware's part of each unit configured {@code arch=vtd}
 * ({@link VtdUnit}), and the OS-side driver of such a unit ({@link VtdDriver}).
 */
@Component(service = {Architecture.class, IommuDriverFactory.class}, property = Architecture.ARCH + "=" + VtdArchitecture.NAME)
public final class VtdArchitecture implements Architecture, IommuDriverFactory {
    /** The architecture's name, as a unit's configuration names it. */
    public static final String NAME = "vtd";

    private final SystemMemory memory;

    @Activate
    public VtdArchitecture(@Reference SystemMemory memory) {
        this.memory = memory;
    }

    @Override
    public ArchitectureUnit create(UnitHardware hardware) {
        return new VtdUnit(hardware);
    }

    @Override
    public IommuDriver open(Iommu unit, TableFrames frames, boolean pageRequests) {
        return new VtdDriver(unit, memory, frames, pageRequests);
    }
}
