package itest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.junit.jupiter.api.Test;
import org.osgi.framework.ServiceReference;

/** Every command of ours explains itself and each of its parameters to {@code help}. */
class HelpTest extends ShellTestBase {
    @Test
    void everyCommandAndParameterOfOursHasADescription() throws Exception {
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (ServiceReference<?> ref : context.getServiceReferences((String) null, "(osgi.command.scope=*)")) {
            if (ref.getBundle().getSymbolicName().startsWith("org.apache.felix")) {
                continue; // Felix's own commands
            }
            Object service = context.getService(ref);
            try {
                Object functions = ref.getProperty("osgi.command.function");
                String[] names = functions instanceof String[] a ? a : new String[] {String.valueOf(functions)};
                for (String name : names) {
                    String command = ref.getProperty("osgi.command.scope") + ":" + name;
                    boolean found = false;
                    // a name no Java method can have (iommu:pasid-entry) is called as _main, as Gogo does
                    String method = name.matches("[A-Za-z_][A-Za-z0-9_]*") ? name : "_main";
                    for (Method m : service.getClass().getMethods()) {
                        if (!m.getName().equals(method) || m.getDeclaringClass() == Object.class) {
                            continue;
                        }
                        found = true;
                        checked++;
                        if (m.getAnnotation(Descriptor.class) == null) {
                            missing.add(command + " " + List.of(m.getParameterTypes()));
                        }
                        for (Parameter p : m.getParameters()) {
                            if (p.getAnnotation(Descriptor.class) == null) {
                                missing.add(command + " parameter " + p.getName());
                            }
                        }
                    }
                    if (!found) {
                        missing.add(command + ": no method");
                    }
                }
            } finally {
                context.ungetService(ref);
            }
        }
        assertTrue(checked > 60, "only " + checked + " command methods found");
        assertTrue(missing.isEmpty(), "without a description: " + missing);
    }

    @Test
    void helpListsEveryCommandOfOursByScopeWithItsLine() throws Exception {
        String help = run("help");
        List<String> absent = new ArrayList<>();
        for (ServiceReference<?> ref : context.getServiceReferences((String) null, "(osgi.command.scope=*)")) {
            Object functions = ref.getProperty("osgi.command.function");
            String[] names = functions instanceof String[] a ? a : new String[] {String.valueOf(functions)};
            for (String name : names) {
                String command = ref.getProperty("osgi.command.scope") + ":" + name;
                if (!help.contains("   " + command + " ")) {
                    absent.add(command);
                }
            }
        }
        assertTrue(absent.isEmpty(), "help leaves out " + absent + ":\n" + help);
        assertTrue(help.contains("\nmm\n") && help.contains("\nvidmm\n"), "grouped by scope:\n" + help);
        assertTrue(help.matches("(?s).*\n   mm:spawn +creates a process; prints its pid\n.*"), "with its line:\n" + help);
    }

    @Test
    void helpOfAnUnknownCommandIsOneLineNamingIt() throws Exception {
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> run("help nosuch"));
        assertTrue(e.getMessage().contains("no command named 'nosuch'"), e.getMessage());
    }

    @Test
    void helpExplainsSubmitWithTheSyntaxTheEnginesAndAnExample() throws Exception {
        String help = run("help vidmm:submit");
        assertTrue(help.contains("COPY with a leading @copy") && help.contains("example: vidmm:submit 0x101")
                && help.contains("fill DST LEN [PATTERN32]"), help);
    }
}
