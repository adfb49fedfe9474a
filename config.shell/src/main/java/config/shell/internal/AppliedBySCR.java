package config.shell.internal;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Whether SCR has applied a configuration change: every component that takes its configuration
 * from the PID (or its factory PID) has a configuration whose properties hold the new values, active
 * (a delayed component: satisfied) and with its service registered. A PID no component takes
 * (another bundle's managed service) counts as applied.
 */
final class AppliedBySCR implements ConfigShell.Applied {
    private final ServiceComponentRuntime scr;

    AppliedBySCR(ServiceComponentRuntime scr) {
        this.scr = scr;
    }

    @Override
    public String pending(String pid, String factoryPid, Map<String, Object> values) {
        List<String> waiting = new ArrayList<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if ("ignore".equals(d.configurationPolicy) || d.configurationPid == null
                    || !Arrays.asList(d.configurationPid).contains(factoryPid == null ? pid : factoryPid)) {
                continue;
            }
            boolean applied = false;
            boolean offers = d.serviceInterfaces != null && d.serviceInterfaces.length > 0;
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                // running with the change: active (or, delayed, satisfied), and its service registered, so
                // that whoever binds it (the shell's commands, VidMm) has it by now
                boolean running = (c.state == ComponentConfigurationDTO.ACTIVE
                        || (!d.immediate && c.state == ComponentConfigurationDTO.SATISFIED)) && (!offers || c.service != null);
                if (running && holds(c.properties.get("service.pid"), pid) && values.entrySet().stream()
                        .allMatch(e -> same(c.properties.get(e.getKey()), e.getValue()))) {
                    applied = true;
                }
            }
            if (!applied) {
                waiting.add(d.name);
            }
        }
        return waiting.isEmpty() ? null : "waiting for " + String.join(", ", waiting);
    }

    /** Whether a component's {@code service.pid} (one PID, or several for several configuration PIDs) names {@code pid}. */
    private static boolean holds(Object servicePid, String pid) {
        if (servicePid instanceof Collection<?> all) {
            return all.contains(pid);
        }
        if (servicePid != null && servicePid.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(servicePid); i++) {
                if (pid.equals(Array.get(servicePid, i))) {
                    return true;
                }
            }
            return false;
        }
        return pid.equals(servicePid);
    }

    private static boolean same(Object running, Object set) {
        return Objects.deepEquals(running, set) || (running != null && set != null && running.toString().equals(set.toString()));
    }
}
