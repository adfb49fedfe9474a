package kmd.api.callbacks;

import org.osgi.annotation.versioning.ProviderType;

/** What VidMm offers a started driver. Thread safe; callable from the driver's interrupt thread. */
@ProviderType
public interface DxgkCallbacks {
    /** DxgkCbNotifyInterrupt: reports a completion or a fault. Returns promptly. */
    void notifyInterrupt(InterruptNotification notification);
}
