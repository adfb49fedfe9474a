package iommu.hw.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

import iommu.hw.AtsDevice;
import iommu.hw.AtsPort;
import iommu.hw.SystemMemory;
import iommu.hw.vtd.Descriptor;
import iommu.hw.vtd.RequesterId;

/**
 * The devices behind a unit that cache translations (ATS): their ports, and the device-TLB invalidation
 * descriptors the unit passes to them. A device that does not answer in time is blocked (its translated
 * requests refused until it resets), counted and reported, so that the wait descriptor after it still
 * completes with nothing stale reachable.
 */
final class AtsDevices {
    /** How long a device has to answer a device-TLB invalidation before the unit blocks it. */
    static final long TIMEOUT_NANOS = 1_000_000_000L;

    private final int unit;
    private final RequesterId requester;
    private final SystemMemory memory;
    private final InflightGate gate;
    private final UnitAtsPort.Translate translate;
    private final List<UnitAtsPort> ports = new CopyOnWriteArrayList<>();
    private final LongAdder timeouts = new LongAdder();

    AtsDevices(int unit, RequesterId requester, SystemMemory memory, InflightGate gate, UnitAtsPort.Translate translate) {
        this.unit = unit;
        this.requester = requester;
        this.memory = memory;
        this.gate = gate;
        this.translate = translate;
    }

    AtsPort attach(AtsDevice device) {
        UnitAtsPort port = new UnitAtsPort(unit, java.util.Objects.requireNonNull(device, "ATS device"), memory, gate,
                translate, ports::remove);
        ports.add(port);
        return port;
    }

    long timeouts() {
        return timeouts.sum();
    }

    /** A PASID-based device-TLB invalidation: to every attached device with the descriptor's source id. */
    void invalidate(Descriptor.PasidDeviceTlbInvalidation i) {
        if (i.sourceId() != requester.value()) {
            return; // no device with that id behind this unit
        }
        for (UnitAtsPort port : ports) {
            if (port.blocked()) {
                continue;
            }
            boolean answered;
            try {
                answered = port.device.invalidate(i.pasid(), i.base(), i.length(), TIMEOUT_NANOS);
            } catch (RuntimeException e) {
                answered = false;
            }
            if (!answered) {
                port.block();
                timeouts.increment();
                System.getLogger(IommuUnit.class.getName()).log(System.Logger.Level.ERROR, "IOMMU unit " + unit
                        + ": device-TLB invalidation time-out (ITE): device " + requester + " did not answer within "
                        + TIMEOUT_NANOS / 1_000_000 + " ms; its translated requests are refused until it resets");
            }
        }
    }
}
