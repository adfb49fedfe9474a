package umd.reference.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import java.util.List;

import umd.api.KernelThunks;
import umd.api.SurfaceMode;
import umd.api.UmdAdapter;
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
    public UmdAdapter openAdapter(int pid) {
        kmt.processMemory(pid); // refuses an unknown process now, with the kernel's status
        return new UmdAdapter() {
            @Override
            public int pid() {
                return pid;
            }

            @Override
            public List<SurfaceMode> displayModes() {
                return kmt.displayModes();
            }

            @Override
            public UmdDevice createDevice() {
                return new RefDevice(kmt, pid);
            }
        };
    }
}
