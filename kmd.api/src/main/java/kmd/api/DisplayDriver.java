package kmd.api;

import org.osgi.annotation.versioning.ConsumerType;

import gpu.hw.GpuAdapter;
import gpu.hw.PciIdentity;

/**
 * The service a kernel-mode driver bundle registers: which adapters it can drive and how well (as
 * OSGi Device Access's {@code Driver.match}), and a driver context per adapter it is attached to
 * (WDDM's DxgkDdiAddDevice). VidMm runs one state per adapter; for each it attaches the best
 * matching driver (highest score, then highest {@code service.ranking}, then lowest
 * {@code service.id}) and calls the DDIs of {@link KernelModeDriver} on the context it got. One
 * driver may drive several adapters at once, a context each.
 */
@ConsumerType
public interface DisplayDriver {
    /** Service property: the driver's name, as {@code kmd:list} and {@code gpu:list} show it. */
    String NAME = "kmd.name";

    /** What {@link #match} returns for an adapter the driver cannot drive: it is never attached there. */
    int NO_MATCH = 0;

    /**
     * How well the driver drives an adapter with this PCI identity: {@link #NO_MATCH}, or a positive
     * score, higher is better. Called often; must not throw, block or change anything.
     */
    int match(PciIdentity adapter);

    /**
     * DxgkDdiAddDevice: creates the driver's context for {@code adapter}. VidMm then calls
     * {@link KernelModeDriver#queryAdapterInfo} and {@link KernelModeDriver#startDevice} on it. A
     * driver that throws here is refused for that adapter only.
     */
    KernelModeDriver addDevice(GpuAdapter adapter);

    /** DxgkDdiRemoveDevice: the context is stopped and will not be called again. */
    void removeDevice(KernelModeDriver context);
}
