package vidmm.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * Trim notification registrations (D3DKMTRegisterTrimNotification): per device, the UMD's callback
 * (its TrimResidencySet) that the OS's trims call with NumBytesToTrim. Callbacks run on the trimming
 * thread with no lock of VidMm's held (they call Evict); one that throws is reported in one line and
 * the others still run.
 */
final class TrimNotifications {
    private static final System.Logger LOG = System.getLogger(TrimNotifications.class.getName());

    private record Registration(long handle, long device, LongConsumer callback) {
    }

    private final Map<Long, Registration> registrations = new ConcurrentHashMap<>();

    void register(long handle, long device, LongConsumer callback) {
        registrations.put(handle, new Registration(handle, device, java.util.Objects.requireNonNull(callback, "callback")));
    }

    /** The device a registration belongs to, or INVALID_HANDLE. */
    long deviceOf(long handle) {
        Registration r = registrations.get(handle);
        if (r == null) {
            throw new VidMmException(VidMmStatus.INVALID_HANDLE, "no trim notification has handle 0x" + Long.toHexString(handle));
        }
        return r.device();
    }

    void unregister(long handle) {
        deviceOf(handle);
        registrations.remove(handle);
    }

    void deviceDestroyed(long device) {
        registrations.values().removeIf(r -> r.device() == device);
    }

    /** Tells every registration of {@code devices} to trim {@code numBytesToTrim} (TrimToBudget). Call with no lock held. */
    void notify(List<Long> devices, long numBytesToTrim) {
        List<Registration> targets = new ArrayList<>();
        for (Registration r : registrations.values()) {
            if (devices.contains(r.device())) {
                targets.add(r);
            }
        }
        for (Registration r : targets) {
            try {
                r.callback().accept(numBytesToTrim);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "the trim notification of device 0x" + Long.toHexString(r.device())
                        + " failed: " + e);
            }
        }
    }
}
