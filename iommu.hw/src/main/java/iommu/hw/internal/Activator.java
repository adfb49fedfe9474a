package iommu.hw.internal;

import java.util.Hashtable;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationPlugin;

/**
 * Registers {@link ArchitectureTarget} before Declarative Services reads this bundle's components
 * (which it does once the bundle is active), so that no unit starts on an architecture its
 * configuration does not name.
 */
public final class Activator implements BundleActivator {
    private ServiceRegistration<ConfigurationPlugin> plugin;

    @Override
    public void start(BundleContext context) {
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put(ConfigurationPlugin.CM_RANKING, 0);
        plugin = context.registerService(ConfigurationPlugin.class, new ArchitectureTarget(), properties);
    }

    @Override
    public void stop(BundleContext context) {
        plugin.unregister();
    }
}
