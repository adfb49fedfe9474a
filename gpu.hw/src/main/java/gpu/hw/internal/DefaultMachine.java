package gpu.hw.internal;

import java.io.IOException;
import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.framework.InvalidSyntaxException;

/**
 * The default machine's hardware, written to Config Admin when none is configured: IOMMU unit 0, an
 * Intel VT-d unit, and unit 1, an AMD-Vi unit (one of each, so that both architectures serve the
 * machine side by side); adapter 0 (PCI 1234:1111, two display sources) behind unit 0; adapter 1 (PCI
 * 1234:2222, render-only) behind unit 1. Named factory configurations ({@code gpu.hw.Adapter~0}, ...), so the
 * shell can change them with {@code config:set}. A factory that already has a configuration (a user's
 * own machine) is left as it is.
 */
@Component(immediate = true)
public final class DefaultMachine {
    private static final System.Logger LOG = System.getLogger(DefaultMachine.class.getName());
    static final String IOMMU_PID = "iommu.hw.Iommu";

    @Activate
    public DefaultMachine(@Reference ConfigurationAdmin admin) {
        try {
            if (none(admin, IOMMU_PID)) {
                create(admin, IOMMU_PID, "0", unit(0, "vtd"));
                create(admin, IOMMU_PID, "1", unit(1, "amdvi"));
            }
            if (none(admin, GpuConfig.PID)) {
                create(admin, GpuConfig.PID, "0", adapter(0, 0x1111, 2, 0));
                create(admin, GpuConfig.PID, "1", adapter(1, 0x2222, 0, 1));
            }
        } catch (IOException | InvalidSyntaxException e) {
            LOG.log(System.Logger.Level.ERROR, "could not write the default machine's configuration: " + e.getMessage());
        }
    }

    private static boolean none(ConfigurationAdmin admin, String factoryPid) throws IOException, InvalidSyntaxException {
        return admin.listConfigurations("(service.factoryPid=" + factoryPid + ")") == null;
    }

    private static void create(ConfigurationAdmin admin, String factoryPid, String name, Dictionary<String, Object> properties)
            throws IOException {
        Configuration c = admin.getFactoryConfiguration(factoryPid, name, "?");
        if (c.getProperties() == null) {
            c.update(properties);
        }
    }

    private static Dictionary<String, Object> props(String key, Object value) {
        Dictionary<String, Object> d = new Hashtable<>();
        d.put(key, value);
        return d;
    }

    private static Dictionary<String, Object> unit(int index, String arch) {
        Dictionary<String, Object> d = props("iommu.unit", index);
        d.put("arch", arch);
        return d;
    }

    private static Dictionary<String, Object> adapter(int index, int device, int sources, int unit) {
        Dictionary<String, Object> d = props("adapter.index", index);
        d.put("pci.vendor", 0x1234);
        d.put("pci.device", device);
        d.put("displaySources", sources);
        d.put("dma.target", "(iommu.unit=" + unit + ")");
        return d;
    }
}
