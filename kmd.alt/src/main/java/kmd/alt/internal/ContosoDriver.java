package kmd.alt.internal;

import org.osgi.service.component.annotations.Component;

import gpu.hw.GpuAdapter;
import gpu.hw.PciIdentity;
import kmd.api.DisplayDriver;
import kmd.api.KernelModeDriver;

/** Contoso's driver service: drives the simulated GPU 1234:1111 only, with score 1 (the reference driver has 2). */
@Component(service = DisplayDriver.class, immediate = true, property = DisplayDriver.NAME + "=contoso")
public final class ContosoDriver implements DisplayDriver {
    @Override
    public int match(PciIdentity adapter) {
        return adapter.vendorId() == 0x1234 && adapter.deviceId() == 0x1111 ? 1 : NO_MATCH;
    }

    @Override
    public KernelModeDriver addDevice(GpuAdapter adapter) {
        return new ContosoKmd(adapter);
    }

    @Override
    public void removeDevice(KernelModeDriver context) {
        // a context holds nothing beyond what StopDevice forgot
    }
}
