package iommu.hw.internal;

import java.util.Dictionary;
import java.util.regex.Pattern;

import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationPlugin;

import iommu.hw.arch.Architecture;

/**
 * Turns a unit configuration's {@code arch} into the target of the unit's {@code architecture}
 * reference ({@code architecture.target}), so that {@code config:set iommu.hw.Iommu~1 arch amdvi}
 * restarts unit 1 on the AMD-Vi bundle's {@link Architecture}. A Config Admin plugin: Declarative
 * Services reads configurations processed by plugins. A name that is not one word is reported and the
 * unit keeps the default architecture.
 */
final class ArchitectureTarget implements ConfigurationPlugin {
    private static final System.Logger LOG = System.getLogger(ArchitectureTarget.class.getName());
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
    static final String TARGET = "architecture.target";

    @Override
    public void modifyConfiguration(ServiceReference<?> reference, Dictionary<String, Object> properties) {
        Object factory = properties.get("service.factoryPid");
        Object pid = properties.get("service.pid");
        if (!IommuConfig.PID.equals(factory) && !(pid instanceof String p && p.startsWith(IommuConfig.PID + "~"))) {
            return;
        }
        properties.put(TARGET, "(" + Architecture.ARCH + "=" + name(properties.get("arch"), pid) + ")");
    }

    /** The configured architecture's name, or the default for none or a bad one (reported). */
    static String name(Object arch, Object pid) {
        if (arch == null) {
            return IommuConfig.DEFAULT_ARCH;
        }
        String name = String.valueOf(arch).trim();
        if (!NAME.matcher(name).matches()) {
            LOG.log(System.Logger.Level.ERROR, "configuration " + pid + ": arch must be an architecture's name (vtd, amdvi), not '"
                    + arch + "'; using " + IommuConfig.DEFAULT_ARCH);
            return IommuConfig.DEFAULT_ARCH;
        }
        return name;
    }
}
