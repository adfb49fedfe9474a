package kmd.conformance.internal;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import gpu.hw.GpuAdapter;
import kmd.api.DisplayDriver;
import kmd.conformance.ConformanceKit;
import kmd.conformance.Report;
import os.memmgr.MemoryManager;
import umd.api.UserModeDriver;
import vidmm.AdapterHold;
import vidmm.VidMm;
import vidmm.VidMmException;

/**
 * The kit as a service: finds the driver service and the adapter, takes the adapter from VidMm for
 * the run ({@link VidMm#hold}) and gives it back after, whatever the outcome. One run at a time.
 */
@Component(service = ConformanceKit.class)
public final class Kit implements ConformanceKit {
    private final Map<DisplayDriver, String> drivers = new ConcurrentHashMap<>();
    private final Map<GpuAdapter, Integer> adapters = new ConcurrentHashMap<>();
    private final Map<UserModeDriver, String> umds = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();

    @Reference
    private MemoryManager mm;

    @Reference
    private VidMm vidmm;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addDriver(DisplayDriver driver, Map<String, Object> properties) {
        drivers.put(driver, String.valueOf(properties.getOrDefault(DisplayDriver.NAME, driver.getClass().getSimpleName())));
    }

    void removeDriver(DisplayDriver driver) {
        drivers.remove(driver);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addUmd(UserModeDriver umd, Map<String, Object> properties) {
        umds.put(umd, String.valueOf(properties.getOrDefault("umd.name", umd.getClass().getSimpleName())));
    }

    void removeUmd(UserModeDriver umd) {
        umds.remove(umd);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addAdapter(GpuAdapter gpu) {
        adapters.put(gpu, gpu.index());
    }

    void removeAdapter(GpuAdapter gpu) {
        adapters.remove(gpu);
    }

    @Override
    public List<String> checks() {
        return Battery.names();
    }

    @Override
    public Report run(String name, int adapter) {
        DisplayDriver driver = driver(name);
        GpuAdapter gpu = adapter(driver, name, adapter);
        if (!running.compareAndSet(false, true)) {
            throw new IllegalArgumentException("a conformance run is in progress already; run one at a time");
        }
        try (AdapterHold hold = hold(gpu.index())) {
            return Battery.run(driver, name, gpu, mm);
        } finally {
            running.set(false);
        }
    }

    @Override
    public List<String> umdChecks() {
        return Battery.umdNames();
    }

    @Override
    public Report runUmd(String name, int adapter) {
        UserModeDriver umd = umds.entrySet().stream().filter(e -> e.getValue().equals(name)).map(Map.Entry::getKey)
                .findFirst().orElseThrow(() -> new IllegalArgumentException("no user-mode driver named '" + name
                        + "'; installed: " + umds.values().stream().sorted().collect(Collectors.joining(", "))));
        int index = Math.max(0, adapter);
        GpuAdapter gpu = adapters.keySet().stream().filter(g -> g.index() == index).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("adapter " + index + " does not exist; adapters: "
                        + adapters.values().stream().sorted().map(String::valueOf).collect(Collectors.joining(", "))));
        if (!running.compareAndSet(false, true)) {
            throw new IllegalArgumentException("a conformance run is in progress already; run one at a time");
        }
        try {
            return Battery.runUmd(umd, name, gpu, vidmm, mm);
        } finally {
            running.set(false);
        }
    }

    private AdapterHold hold(int adapter) {
        try {
            return vidmm.hold(adapter, "the conformance kit");
        } catch (VidMmException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private DisplayDriver driver(String name) {
        for (Map.Entry<DisplayDriver, String> e : drivers.entrySet()) {
            if (e.getValue().equals(name)) {
                return e.getKey();
            }
        }
        throw new IllegalArgumentException("no kernel-mode driver named '" + name + "'; installed: "
                + drivers.values().stream().sorted().collect(Collectors.joining(", ")));
    }

    private GpuAdapter adapter(DisplayDriver driver, String name, int index) {
        List<GpuAdapter> sorted = adapters.keySet().stream().sorted(Comparator.comparingInt(GpuAdapter::index)).toList();
        String all = sorted.stream().map(g -> g.index() + " (" + g.identity() + ")").collect(Collectors.joining(", "));
        if (index < 0) {
            return sorted.stream().filter(g -> driver.match(g.identity()) > 0).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("driver '" + name + "' matches no adapter; adapters: " + all));
        }
        GpuAdapter gpu = sorted.stream().filter(g -> g.index() == index).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("adapter " + index + " does not exist; adapters: " + all));
        if (driver.match(gpu.identity()) <= 0) {
            throw new IllegalArgumentException("driver '" + name + "' does not match adapter " + index + " ("
                    + gpu.identity() + ")");
        }
        return gpu;
    }
}
