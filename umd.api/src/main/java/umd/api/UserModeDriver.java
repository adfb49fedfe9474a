package umd.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A vendor's user-mode driver, registered as a service. Applications call it from their process.
 */
@ProviderType
public interface UserModeDriver {
    /** Opens the adapter for process {@code pid}. */
    UmdAdapter openAdapter(int pid);

    /** Shorthand for {@code openAdapter(pid).createDevice()}. */
    default UmdDevice createDevice(int pid) {
        return openAdapter(pid).createDevice();
    }
}
