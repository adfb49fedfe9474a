package ${package};

import org.osgi.service.component.annotations.Component;

import gpu.hw.GpuAdapter;
import gpu.hw.PciIdentity;
import kmd.api.DisplayDriver;
import kmd.api.KernelModeDriver;

/**
 * ${vendorName}'s driver service: it says which adapters it drives (PCI ${pciVendor}:${pciDevice},
 * with score ${matchScore}; the reference driver gives 2, so a higher score takes the adapter over)
 * and makes a {@link VendorKmd} context for each adapter VidMm attaches it to.
 */
@Component(service = DisplayDriver.class, immediate = true, property = DisplayDriver.NAME + "=" + VendorDriver.NAME)
public final class VendorDriver implements DisplayDriver {
    /** The driver's name: kmd:list shows it, conformance:run takes it, conformance.bndrun names it. */
    static final String NAME = "${driverName}";

    @Override
    public int match(PciIdentity adapter) {
        return adapter.vendorId() == ${pciVendor} && adapter.deviceId() == ${pciDevice} ? ${matchScore} : NO_MATCH;
    }

    @Override
    public KernelModeDriver addDevice(GpuAdapter adapter) {
        return new VendorKmd(adapter);
    }

    @Override
    public void removeDevice(KernelModeDriver context) {
        // nothing to release: StopDevice forgot the context's handles
    }
}
