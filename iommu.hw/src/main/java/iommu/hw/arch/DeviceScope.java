package iommu.hw.arch;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import iommu.hw.RequesterId;

/**
 * The devices behind a unit (VT-d's DMAR device scope, AMD-Vi's IVRS device entries) in the order they
 * arrived, and who software wants told of each new one (its driver writes the device's entry there,
 * before the device's first request). Software that sets its arrival and then reads the devices may
 * find a device both ways, never neither. Thread safe.
 */
public final class DeviceScope {
    private final Set<RequesterId> devices = new LinkedHashSet<>();
    private Consumer<RequesterId> arrival;

    public synchronized List<RequesterId> devices() {
        return List.copyOf(devices);
    }

    /** Tells {@code arrival} of each device that enters from now on; {@code null}: nobody. */
    public synchronized void setArrival(Consumer<RequesterId> arrival) {
        this.arrival = arrival;
    }

    /**
     * {@code device} is behind the unit: it enters the scope and, the first time, software hears of it
     * on this thread, outside this object's monitor (software takes its own locks).
     */
    public void enter(RequesterId device) {
        Consumer<RequesterId> told;
        synchronized (this) {
            if (!devices.add(device)) {
                return;
            }
            told = arrival;
        }
        if (told != null) {
            told.accept(device);
        }
    }
}
