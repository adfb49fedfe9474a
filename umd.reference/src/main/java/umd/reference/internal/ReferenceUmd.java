package umd.reference.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import umd.api.KernelThunks;
import umd.api.UmdDevice;
import umd.api.UserModeDriver;

/** The reference user-mode driver; it reaches the kernel only through the thunks. */
@Component(service = UserModeDriver.class, property = "umd.name=reference")
public final class ReferenceUmd implements UserModeDriver {
    private final KernelThunks kmt;

    @Activate
    public ReferenceUmd(@Reference KernelThunks kmt) {
        this.kmt = kmt;
    }

    @Override
    public UmdDevice createDevice(int pid) {
        return new RefDevice(kmt, pid);
    }
}
