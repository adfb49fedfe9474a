package umd.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A vendor's user-mode driver, registered as a service. Applications call it from their process.
 */
@ProviderType
public interface UserModeDriver {
    /** Opens adapter 0 for process {@code pid}. */
    default UmdAdapter openAdapter(int pid) {
        return openAdapter(pid, 0);
    }

    /** Opens adapter {@code adapter} (its index) for process {@code pid}. */
    UmdAdapter openAdapter(int pid, int adapter);

    /** Shorthand for {@code openAdapter(pid).createDevice()}. */
    default UmdDevice createDevice(int pid) {
        return openAdapter(pid).createDevice();
    }
}
