package kmd.reference.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;

import gpu.hw.GpuAdapter;
import gpu.hw.PciIdentity;
import kmd.api.DisplayDriver;
import kmd.api.KernelModeDriver;
import kmd.api.VidMmCaps;

/**
 * The reference driver service: drives the simulated GPUs 1234:1111 and 1234:2222 (score 2), a
 * {@link ReferenceKmd} context per adapter, each reporting the configured caps.
 */
@Component(service = {DisplayDriver.class, ReferenceDriver.class}, configurationPid = ReferenceKmdConfig.PID,
        immediate = true, property = DisplayDriver.NAME + "=reference")
@Designate(ocd = ReferenceKmdConfig.class)
public final class ReferenceDriver implements DisplayDriver {
    static final int SCORE = 2;

    private final VidMmCaps caps;
    private final long apertureSegmentCommitLimit;
    private final List<ReferenceKmd> contexts = new CopyOnWriteArrayList<>();

    @Activate
    public ReferenceDriver(ReferenceKmdConfig config) {
        this.caps = new VidMmCaps(config.virtualAddressingSupported(), config.ioMmuSupported(), config.gpuMmuSupported(),
                config.ioMmuSecureModeSupported(), config.ioMmuSecureModeRequired());
        this.apertureSegmentCommitLimit = config.apertureSegmentCommitLimit();
    }

    @Override
    public int match(PciIdentity adapter) {
        return adapter.vendorId() == 0x1234 && (adapter.deviceId() == 0x1111 || adapter.deviceId() == 0x2222) ? SCORE
                : NO_MATCH;
    }

    @Override
    public KernelModeDriver addDevice(GpuAdapter adapter) {
        ReferenceKmd context = new ReferenceKmd(adapter, caps, apertureSegmentCommitLimit);
        contexts.add(context);
        return context;
    }

    @Override
    public void removeDevice(KernelModeDriver context) {
        contexts.remove(context);
    }

    /** The contexts of the adapters the driver is added to, for {@code kmd:info}. */
    List<ReferenceKmd> contexts() {
        return List.copyOf(contexts);
    }
}
