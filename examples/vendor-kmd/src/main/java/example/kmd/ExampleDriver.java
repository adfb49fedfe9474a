package example.kmd;

import org.osgi.service.component.annotations.Component;

import gpu.hw.GpuAdapter;
import gpu.hw.PciIdentity;
import kmd.api.DisplayDriver;
import kmd.api.KernelModeDriver;

/**
 * A complete, minimal vendor KMD: this service says which adapters it drives (the render-only GPU
 * 1234:2222, with score 3: above the reference driver's 2, so installing the bundle takes adapter 1
 * over) and makes an {@link ExampleKmd} context for each adapter VidMm attaches it to.
 */
@Component(service = DisplayDriver.class, immediate = true, property = DisplayDriver.NAME + "=example")
public final class ExampleDriver implements DisplayDriver {
    @Override
    public int match(PciIdentity adapter) {
        return adapter.vendorId() == 0x1234 && adapter.deviceId() == 0x2222 ? 3 : NO_MATCH;
    }

    @Override
    public KernelModeDriver addDevice(GpuAdapter adapter) {
        return new ExampleKmd(adapter);
    }

    @Override
    public void removeDevice(KernelModeDriver context) {
        // nothing to release: StopDevice forgot the context's handles
    }
}
