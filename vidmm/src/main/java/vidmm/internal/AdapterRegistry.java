package vidmm.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

import gpu.hw.GpuAdapter;
import kmd.api.DisplayDriver;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/**
 * VidMm's adapters and driver services as they come and go. Its monitor is the first lock of VidMm's lock order (the registry); a
 * driver change, which waits for work and replays, is never made under it.
 */
final class AdapterRegistry {
    private static final System.Logger LOG = System.getLogger(AdapterRegistry.class.getName());

    /** Starts VidMm's state for an adapter, given the IOMMU unit of each of its physical GPUs. */
    private final BiFunction<GpuAdapter, int[], AdapterVidMm> start;
    /** Adapters by index; written under this object's monitor, read without it. */
    private final Map<Integer, AdapterVidMm> adapters = new ConcurrentHashMap<>();
    private final Map<GpuAdapter, AdapterVidMm> byHardware = new HashMap<>();
    private final Map<DisplayDriver, Map<String, Object>> drivers = new LinkedHashMap<>();
    private boolean stopped;

    AdapterRegistry(BiFunction<GpuAdapter, int[], AdapterVidMm> start) {
        this.start = start;
    }

    /** An adapter arrived: VidMm starts a state for it and offers it every driver. */
    void addAdapter(GpuAdapter gpu) {
        AdapterVidMm a;
        Map<DisplayDriver, Map<String, Object>> offered;
        synchronized (this) {
            if (stopped) {
                return;
            }
            if (adapters.containsKey(gpu.index())) {
                LOG.log(System.Logger.Level.ERROR, "two adapters have index " + gpu.index() + "; the second is not used");
                return;
            }
            int[] units = new int[gpu.physicalGpus()];
            for (int g = 0; g < units.length; g++) {
                units[g] = gpu.iommuUnit(g);
            }
            a = start.apply(gpu, units);
            adapters.put(a.index, a);
            byHardware.put(gpu, a);
            offered = new LinkedHashMap<>(drivers);
        }
        offered.forEach(a.drivers::add); // without the registry: attaching may wait for a replay
    }

    /** An adapter went away: its devices are destroyed and its driver detached. */
    void removeAdapter(GpuAdapter gpu) {
        AdapterVidMm a;
        synchronized (this) {
            a = byHardware.remove(gpu);
            if (a == null) {
                return;
            }
            adapters.remove(a.index, a);
        }
        a.stop();
    }

    /** A driver service arrived: every adapter asks it how well it matches and attaches it if it is now the best. */
    void bindDriver(DisplayDriver driver, Map<String, Object> properties) {
        List<AdapterVidMm> offered;
        synchronized (this) {
            if (stopped) {
                return;
            }
            drivers.put(driver, Map.copyOf(properties));
            offered = sorted();
        }
        for (AdapterVidMm a : offered) { // without the registry: a change of driver waits for work and replays
            a.drivers.add(driver, properties);
        }
    }

    /** A driver service is going: each adapter it drove moves to its next best driver before this returns. */
    void unbindDriver(DisplayDriver driver) {
        List<AdapterVidMm> all;
        synchronized (this) {
            drivers.remove(driver);
            all = sorted();
        }
        for (AdapterVidMm a : all) {
            a.drivers.remove(driver);
        }
    }

    /** The adapters, by index. */
    List<AdapterVidMm> sorted() {
        List<AdapterVidMm> list = new ArrayList<>(adapters.values());
        list.sort(Comparator.comparingInt(a -> a.index));
        return list;
    }

    /** Destroys every device (returning its memory and PASIDs) and stops every driver; nothing is added afterwards. */
    void stop() {
        List<AdapterVidMm> all;
        synchronized (this) {
            stopped = true;
            all = sorted();
        }
        for (AdapterVidMm a : all) {
            a.stop();
        }
    }

    /** Adapter {@code index}, or INVALID_PARAMETER naming the adapters there are. */
    AdapterVidMm of(int index) {
        AdapterVidMm a = adapters.get(index);
        if (a == null) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "adapter " + index + " does not exist; adapters: "
                    + sorted().stream().map(x -> Integer.toString(x.index)).toList());
        }
        return a;
    }
}
