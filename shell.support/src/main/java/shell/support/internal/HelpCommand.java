package shell.support.internal;

import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * {@code help}: every command of the shell, grouped by scope, each with the first line of its
 * description; {@code help NAME}: one command's every form with its parameters. It is registered as
 * {@code felix:help} with a higher service ranking than the Gogo command bundle's own, which Gogo
 * then calls for {@code help} (that one lists bare names). Descriptions are the commands' {@link
 * Descriptor}s, read from the command services as Gogo reads them.
 */
@Component(service = HelpCommand.class, property = {"osgi.command.scope=felix", "osgi.command.function=help",
        "service.ranking:Integer=10"})
public final class HelpCommand {
    /** One form of a command: its method on the service. */
    private record Form(String command, Method method) {
    }

    private final BundleContext context;

    @Activate
    public HelpCommand(BundleContext context) {
        this.context = context;
    }

    @Descriptor("lists every command, grouped by scope, with a line about each; help NAME explains one")
    public String help() {
        Map<String, Map<String, String>> byScope = new TreeMap<>();
        for (Form f : forms(null)) {
            String scope = f.command.substring(0, f.command.indexOf(':'));
            String name = f.command.substring(scope.length() + 1);
            Descriptor d = f.method.getAnnotation(Descriptor.class);
            // of several forms, the plainest (fewest parameters, sorted last) gives the line
            byScope.computeIfAbsent(scope, s -> new TreeMap<>()).merge(name, d == null ? "" : firstLine(d.value()),
                    (was, now) -> now.isEmpty() ? was : now);
        }
        StringBuilder out = new StringBuilder();
        byScope.forEach((scope, commands) -> {
            out.append(scope).append('\n');
            int width = commands.keySet().stream().mapToInt(String::length).max().orElse(0);
            commands.forEach((name, line) -> out.append("   ").append(scope).append(':').append(name)
                    .append(" ".repeat(width - name.length() + 2)).append(line).append('\n'));
        });
        return out.append("help NAME explains one command and its parameters").toString();
    }

    @Descriptor("explains one command: each of its forms and parameters")
    public String help(@Descriptor("the command, as scope:name or name") String command) {
        List<Form> forms = forms(command);
        if (forms.isEmpty()) {
            throw new IllegalArgumentException("no command named '" + command + "' (help lists them all)");
        }
        StringBuilder out = new StringBuilder();
        for (Form f : forms) {
            Parameter[] params = f.method.getParameters();
            int first = params.length > 0 && params[0].getType().getName().endsWith("CommandSession") ? 1 : 0;
            int count = params.length - first;
            out.append(f.command).append(count == 0 ? ", no arguments" : ", " + count + (count == 1 ? " argument" : " arguments"));
            Descriptor d = f.method.getAnnotation(Descriptor.class);
            out.append('\n').append(indent(d == null ? "(no description)" : d.value(), "   ")).append('\n');
            for (int i = first; i < params.length; i++) {
                Descriptor pd = params[i].getAnnotation(Descriptor.class);
                out.append("   ").append(i - first + 1).append(". ")
                        .append(pd == null ? params[i].getType().getSimpleName() : pd.value()).append('\n');
            }
        }
        return out.toString().stripTrailing();
    }

    /** Every form of every command, or of those named {@code wanted} (scope:name, or name in any scope). */
    private List<Form> forms(String wanted) {
        ServiceReference<?>[] refs;
        try {
            refs = context.getServiceReferences((String) null, "(osgi.command.scope=*)");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        List<Form> forms = new ArrayList<>();
        for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
            Object functions = ref.getProperty("osgi.command.function");
            String[] names = functions instanceof String[] a ? a : new String[] {String.valueOf(functions)};
            String scope = String.valueOf(ref.getProperty("osgi.command.scope"));
            Object service = context.getService(ref);
            if (service == null) {
                continue; // gone meanwhile
            }
            try {
                for (String name : names) {
                    String command = scope + ":" + name;
                    if (wanted != null && !wanted.equalsIgnoreCase(command) && !wanted.equalsIgnoreCase(name)) {
                        continue;
                    }
                    if (command.equals("felix:help") && service != this) {
                        continue; // the help Gogo calls is this one
                    }
                    // as Gogo calls them: a function by its name, or (a Java keyword: gogo:if) with an
                    // underscore before it; a name no method can have (iommu:pasid-entry) as _main
                    List<String> methods = name.matches("[A-Za-z_][A-Za-z0-9_]*") ? List.of(name, "_" + name)
                            : List.of("_main");
                    for (Method m : service.getClass().getMethods()) {
                        if (methods.stream().anyMatch(m.getName()::equalsIgnoreCase) && m.getDeclaringClass() != Object.class) {
                            forms.add(new Form(command, m));
                        }
                    }
                }
            } finally {
                context.ungetService(ref);
            }
        }
        forms.sort(Comparator.comparing(Form::command).thenComparing(f -> -f.method.getParameterCount()));
        return forms;
    }

    private static String firstLine(String text) {
        int nl = text.indexOf('\n');
        return nl < 0 ? text : text.substring(0, nl);
    }

    private static String indent(String text, String by) {
        return by + text.replace("\n", "\n" + by);
    }
}
