package umd.reference.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import umd.api.KernelThunks;
import umd.api.SurfaceMode;
import umd.api.UmdAdapter;
import umd.api.UmdDevice;
import umd.api.UserModeDriver;

/**
 * The reference user-mode driver; it reaches the kernel only through the thunks. When it goes away
 * (its bundle stops), every device it made is removed: the kernel device is destroyed (its memory
 * returned) and later calls on it fail with "device removed".
 */
@Component(service = UserModeDriver.class, property = "umd.name=reference")
public final class ReferenceUmd implements UserModeDriver {
    private final KernelThunks kmt;
    private final Set<RefDevice> devices = ConcurrentHashMap.newKeySet();

    @Activate
    public ReferenceUmd(@Reference KernelThunks kmt) {
        this.kmt = kmt;
    }

    @Deactivate
    public void removeDevices() {
        for (RefDevice d : devices) {
            d.remove("the user-mode driver was stopped");
        }
        devices.clear();
    }

    @Override
    public UmdAdapter openAdapter(int pid, int adapter) {
        kmt.processMemory(pid); // refuses an unknown process now, with the kernel's status
        List<SurfaceMode> modes = kmt.displayModes(adapter); // and an unknown adapter
        return new UmdAdapter() {
            @Override
            public int pid() {
                return pid;
            }

            @Override
            public int index() {
                return adapter;
            }

            @Override
            public List<SurfaceMode> displayModes() {
                return modes;
            }

            @Override
            public UmdDevice createDevice() {
                RefDevice device = new RefDevice(kmt, pid, adapter, devices::remove);
                devices.add(device);
                return device;
            }
        };
    }
}
