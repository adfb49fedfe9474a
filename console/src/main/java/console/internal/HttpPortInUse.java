package console.internal;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import config.shell.ConfigurationCheck;

/**
 * Refuses a {@code config:set} of the HTTP service's port to a port another program (or instance)
 * holds, in one line, so that the HTTP service never meets it with a stack trace and the console
 * stays where it is. The port the console serves now is always accepted.
 */
@Component(property = ConfigurationCheck.PID + "=org.apache.felix.http")
public final class HttpPortInUse implements ConfigurationCheck {
    private static final String RUNTIME = "org.osgi.service.http.runtime.HttpServiceRuntime";
    private static final String ENDPOINT = "osgi.http.endpoint";
    private static final Pattern PORT_OF = Pattern.compile("^[a-z]+://[^/]*:(\\d+)(/.*)?$");

    private final BundleContext context;

    @Activate
    public HttpPortInUse(BundleContext context) {
        this.context = context;
    }

    @Override
    public String problem(String pid, Map<String, Object> changes) {
        Object value = changes.get(HttpPortCheck.PORT);
        int port;
        try {
            port = value instanceof Number n ? n.intValue() : value == null ? 0 : Integer.parseInt(value.toString().trim());
        } catch (NumberFormatException notANumber) {
            return null; // the metatype's own check names it
        }
        List<Integer> serving = serving();
        if (port <= 0 || serving.contains(port)) {
            return null;
        }
        Object host = changes.getOrDefault(HttpPortCheck.HOST, context.getProperty(HttpPortCheck.HOST));
        if (HttpPortCheck.free(host == null ? null : host.toString(), port)) {
            return null;
        }
        return HttpPortCheck.PORT + "=" + port + ": port " + port + " is in use (another program or instance)"
                + (serving.isEmpty() ? "" : "; the web console stays on port " + serving.get(0));
    }

    /** The ports the HTTP service's runtime says it serves on now (its endpoints). */
    private List<Integer> serving() {
        ServiceReference<?>[] refs;
        try {
            refs = context.getServiceReferences(RUNTIME, null);
        } catch (InvalidSyntaxException cannot) {
            return List.of();
        }
        List<Integer> ports = new java.util.ArrayList<>();
        for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
            Object endpoints = ref.getProperty(ENDPOINT);
            Collection<?> all = endpoints instanceof String[] a ? List.of(a)
                    : endpoints instanceof Collection<?> c ? c : endpoints == null ? List.of() : List.of(endpoints);
            for (Object e : all) {
                Matcher m = PORT_OF.matcher(e.toString());
                if (m.matches()) {
                    ports.add(Integer.parseInt(m.group(1)));
                }
            }
        }
        return ports;
    }
}
