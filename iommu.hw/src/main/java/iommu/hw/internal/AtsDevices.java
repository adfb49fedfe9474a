package iommu.hw.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import iommu.hw.AtsDevice;
import iommu.hw.AtsPort;
import iommu.hw.SystemMemory;
import iommu.hw.vtd.Descriptor;
import iommu.hw.vtd.RequesterId;

/**
 * The devices behind a unit that cache translations (ATS): their ports, and the device-TLB invalidation
 * descriptors the unit passes to them. A device that does not answer in time is blocked (its translated
 * requests refused until it resets) and the descriptor ends in an invalidation time-out (ITE), which
 * stops the queue until software has seen it; so once the wait descriptor after it completes, nothing
 * stale is reachable.
 */
final class AtsDevices {
    private final int unit;
    private final SystemMemory memory;
    private final InflightGate gate;
    private final UnitAtsPort.Translate translate;
    private final List<UnitAtsPort> ports = new CopyOnWriteArrayList<>();
    /** How long a device has to answer a device-TLB invalidation before the unit blocks it. */
    private final long timeoutNanos;

    AtsDevices(int unit, SystemMemory memory, InflightGate gate, UnitAtsPort.Translate translate, long timeoutNanos) {
        this.unit = unit;
        this.timeoutNanos = timeoutNanos;
        this.memory = memory;
        this.gate = gate;
        this.translate = translate;
    }

    /** Attaches {@code device}, whose requests carry {@code requester}. */
    AtsPort attach(AtsDevice device, RequesterId requester) {
        UnitAtsPort port = new UnitAtsPort(unit, requester, java.util.Objects.requireNonNull(device, "ATS device"), memory,
                gate, translate, ports::remove);
        ports.add(port);
        return port;
    }

    /**
     * A PASID-based device-TLB invalidation: to every attached device with the descriptor's source id
     * (none: nothing to do).
     *
     * @throws InvalidationQueue.DeviceTimeout if one did not answer in time (it is blocked by then)
     */
    void invalidate(Descriptor.PasidDeviceTlbInvalidation i) {
        RequesterId late = null;
        for (UnitAtsPort port : ports) {
            if (port.requesterId() != i.sourceId() || port.blocked()) {
                continue; // another device's; or refused already: nothing it caches can reach memory until it resets
            }
            boolean answered;
            try {
                answered = port.device.invalidate(i.pasid(), i.base(), i.length(), timeoutNanos);
            } catch (RuntimeException e) {
                answered = false;
            }
            if (!answered) {
                port.block();
                late = RequesterId.of(port.requesterId());
            }
        }
        if (late != null) {
            throw new InvalidationQueue.DeviceTimeout(late);
        }
    }
}
