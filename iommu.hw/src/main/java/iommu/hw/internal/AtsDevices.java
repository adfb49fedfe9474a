package iommu.hw.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import iommu.hw.AtsDevice;
import iommu.hw.AtsPort;
import iommu.hw.RequesterId;
import iommu.hw.SystemMemory;

/**
 * The devices behind a unit that cache translations (ATS): their ports, and the device-TLB invalidations
 * the unit's architecture passes to them. A device that does not answer in time is blocked (its
 * translated requests refused until it resets) and named to the architecture, which reports an
 * invalidation time-out (VT-d: ITE, which stops the queue until software has seen it); so once the
 * completion wait after it signals, nothing stale is reachable.
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
     * A device-TLB invalidation of {@code [va, va + length)} for {@code pasid}: to every attached device
     * with {@code requesterId} (none: nothing to do).
     *
     * @return the requester id of a device that did not answer in time (it is blocked by then), or -1
     */
    int invalidate(int requesterId, int pasid, long va, long length) {
        int late = -1;
        for (UnitAtsPort port : ports) {
            if (port.requesterId() != requesterId || port.blocked()) {
                continue; // another device's; or refused already: nothing it caches can reach memory until it resets
            }
            boolean answered;
            try {
                answered = port.device.invalidate(pasid, va, length, timeoutNanos);
            } catch (RuntimeException e) {
                answered = false;
            }
            if (!answered) {
                port.block();
                late = port.requesterId();
            }
        }
        return late;
    }
}
