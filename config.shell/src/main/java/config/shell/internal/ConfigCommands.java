package config.shell.internal;

import java.io.IOException;
import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

import config.shell.ConfigurationCheck;

/**
 * {@code config:list}, {@code config:get PID}, {@code config:set PID key=value ...} and
 * {@code config:delete PID}: Config Admin from the shell, like Karaf's config commands, with every
 * value checked against the metatype of the bundle that owns the PID; {@code config:set} returns
 * once SCR runs the components of the PID with the change.
 */
@Component(service = ConfigCommands.class, property = {
        "osgi.command.scope=config",
        "osgi.command.function=list",
        "osgi.command.function=get",
        "osgi.command.function=set",
        "osgi.command.function=delete"})
public final class ConfigCommands {
    private final ConfigShell shell;
    /** The {@link ConfigurationCheck} services, by the PID each checks. */
    private final java.util.Map<ConfigurationCheck, String> checks = new java.util.concurrent.ConcurrentHashMap<>();

    /** SCR's view of its components: {@code config:set} returns once they run with the change. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile ServiceComponentRuntime scr;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addCheck(ConfigurationCheck check, java.util.Map<String, Object> properties) {
        checks.put(check, String.valueOf(properties.get(ConfigurationCheck.PID)));
    }

    void removeCheck(ConfigurationCheck check) {
        checks.remove(check);
    }

    @Activate
    public ConfigCommands(BundleContext context, @Reference ConfigurationAdmin admin, @Reference MetaTypeService metaType) {
        this.shell = new ConfigShell(admin, new ConfigShell.Metatypes() {
            @Override
            public SortedMap<String, ObjectClassDefinition> all() {
                return metatypes(context, metaType, false);
            }

            @Override
            public SortedMap<String, ObjectClassDefinition> factories() {
                return metatypes(context, metaType, true);
            }
        }, pid -> checks.entrySet().stream().filter(e -> e.getValue().equals(pid)).map(java.util.Map.Entry::getKey).toList(),
                (pid, factoryPid, values) -> {
                    ServiceComponentRuntime now = scr;
                    return now == null ? null : new AppliedBySCR(now).pending(pid, factoryPid, values);
                });
    }

    private static SortedMap<String, ObjectClassDefinition> metatypes(BundleContext context, MetaTypeService metaType,
                                                                     boolean factories) {
        SortedMap<String, ObjectClassDefinition> all = new TreeMap<>();
        for (Bundle bundle : context.getBundles()) {
            MetaTypeInformation info = metaType.getMetaTypeInformation(bundle);
            if (info == null) {
                continue;
            }
            Arrays.stream(factories ? info.getFactoryPids() : info.getPids())
                    .forEach(pid -> all.put(pid, info.getObjectClassDefinition(pid, null)));
        }
        return all;
    }

    @Descriptor("configurable PIDs and whether each is set")
    public String list() throws IOException {
        return shell.list();
    }

    @Descriptor("every attribute of a PID: value, type, set or default")
    public String get(@Descriptor("configuration PID (config:list)") String pid) throws IOException {
        return shell.get(pid);
    }

    /** config:set PID key=value [key=value ...] */
    @Descriptor("sets attributes of a PID after checking them all against the metatype")
    public String set(@Descriptor("configuration PID (config:list)") String pid, @Descriptor("key=value pairs, each checked against the metatype") String... assignments) throws IOException {
        return shell.set(pid, assignments);
    }

    @Descriptor("deletes the configuration of a PID: back to its defaults")
    public String delete(@Descriptor("configuration PID (config:list)") String pid) throws IOException {
        return shell.delete(pid);
    }
}
