package config.shell.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * What the config commands do, over Config Admin and the metatype the bundles publish. Every change
 * is checked whole against the metatype first; a bad PID, key or value throws naming it and
 * changes nothing. A factory's configurations are named {@code factoryPid~name} (Config Admin's
 * named factory configurations) and are checked against the factory's metatype. A change is also
 * put to every {@link config.shell.ConfigurationCheck} of its PID, any of which may refuse it.
 */
final class ConfigShell {
    /** The metatype of every PID, and of every factory PID, that has one. */
    interface Metatypes {
        SortedMap<String, ObjectClassDefinition> all();

        SortedMap<String, ObjectClassDefinition> factories();
    }

    /** The checks of one PID ({@link config.shell.ConfigurationCheck} services). */
    interface Checks {
        List<config.shell.ConfigurationCheck> of(String pid);
    }

    /** Whether what uses a PID runs with a change yet. */
    interface Applied {
        /**
         * Null once what takes its configuration from {@code pid} (a factory configuration's: {@code
         * factoryPid}, else null) runs with {@code values} (or nothing does), else what still waits.
         */
        String pending(String pid, String factoryPid, Map<String, Object> values);
    }

    /** How long {@link #set} waits for a change to be applied before it says it is not yet. */
    static final long APPLY_MILLIS = 5000;

    private final ConfigurationAdmin admin;
    private final Metatypes metatypes;
    private final Checks checks;
    private final Applied applied;

    ConfigShell(ConfigurationAdmin admin, Metatypes metatypes, Checks checks, Applied applied) {
        this.admin = admin;
        this.metatypes = metatypes;
        this.checks = checks;
        this.applied = applied;
    }

    String list() throws IOException {
        SortedMap<String, ObjectClassDefinition> ocds = metatypes.all();
        SortedMap<String, String> rows = new TreeMap<>();
        for (var e : ocds.entrySet()) {
            rows.put(e.getKey(), String.format("%-32s %-10s %s", e.getKey(), configuration(e.getKey()) == null
                    ? "defaults" : "configured", e.getValue().getName()));
        }
        SortedMap<String, ObjectClassDefinition> factories = metatypes.factories();
        for (var e : factories.entrySet()) {
            rows.put(e.getKey() + "~", String.format("%-32s %-10s %s", e.getKey() + "~NAME", "factory", e.getValue().getName()));
        }
        for (Configuration c : configurations(null)) {
            ObjectClassDefinition ocd = c.getFactoryPid() == null ? null : factories.get(c.getFactoryPid());
            rows.putIfAbsent(c.getPid(), String.format("%-32s %-10s %s", c.getPid(), "configured",
                    ocd == null ? "(no metatype)" : ocd.getName()));
        }
        return String.format("%-32s %-10s %s%n", "PID", "STATE", "NAME") + String.join("\n", rows.values());
    }

    /** The metatype of a PID, or of the factory of a {@code factoryPid~name}; null if none. */
    private ObjectClassDefinition ocd(String pid) {
        int tilde = pid.indexOf('~');
        if (tilde > 0) {
            return metatypes.factories().get(pid.substring(0, tilde));
        }
        if (metatypes.factories().containsKey(pid)) {
            throw new IllegalArgumentException(pid + " is a factory: name one of its configurations, as " + pid
                    + "~0 (config:list shows them)");
        }
        return metatypes.all().get(pid);
    }

    String get(String pid) throws IOException {
        ObjectClassDefinition ocd = ocd(pid);
        Configuration c = configuration(pid);
        Dictionary<String, Object> props = c == null ? null : c.getProperties();
        if (ocd == null) {
            if (props == null) {
                throw unknown(pid);
            }
            List<String> lines = new ArrayList<>();
            for (String key : Collections.list(props.keys())) {
                lines.add(key + " = " + props.get(key));
            }
            Collections.sort(lines);
            return pid + " (no metatype)\n" + String.join("\n", lines);
        }
        StringBuilder b = new StringBuilder(pid + ": " + ocd.getName());
        for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
            Object set = props == null ? null : props.get(ad.getID());
            String fallback = ad.getDefaultValue() == null ? "" : String.join(",", ad.getDefaultValue());
            b.append(String.format("%n  %-16s = %-20s %s (%s%s)", ad.getID(), set == null ? fallback : set,
                    set == null ? "default" : "set", typeName(ad.getType()),
                    ad.getDescription() == null ? "" : "; " + ad.getDescription()));
        }
        return b.toString();
    }

    String set(String pid, String... assignments) throws IOException {
        ObjectClassDefinition ocd = ocd(pid);
        if (ocd == null) {
            throw unknown(pid);
        }
        if (assignments.length == 0) {
            throw new IllegalArgumentException("config:set " + pid + ": give at least one key=value");
        }
        Map<String, AttributeDefinition> ads = new LinkedHashMap<>();
        for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
            ads.put(ad.getID(), ad);
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (String a : assignments) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("config:set " + pid + ": '" + a + "' is not key=value");
            }
            String key = a.substring(0, eq);
            AttributeDefinition ad = ads.get(key);
            if (ad == null) {
                throw new IllegalArgumentException("config:set " + pid + ": no key '" + key + "'; keys are "
                        + String.join(", ", ads.keySet()));
            }
            values.put(key, typed(pid, ad, a.substring(eq + 1)));
        }
        for (config.shell.ConfigurationCheck check : checks.of(pid)) {
            String problem;
            try {
                problem = check.problem(pid, Map.copyOf(values));
            } catch (RuntimeException e) {
                problem = "the check " + check.getClass().getName() + " failed: " + e;
            }
            if (problem != null) {
                throw new IllegalArgumentException("config:set " + pid + ": " + problem + "; nothing changed");
            }
        }
        int tilde = pid.indexOf('~');
        Configuration c = tilde > 0 ? admin.getFactoryConfiguration(pid.substring(0, tilde), pid.substring(tilde + 1), "?")
                : admin.getConfiguration(pid, "?");
        Dictionary<String, Object> props = c.getProperties() == null ? new Hashtable<>() : c.getProperties();
        values.forEach(props::put);
        c.update(props);
        String updated = pid + " updated: " + values.entrySet().stream().map(e -> e.getKey() + "="
                + (ads.get(e.getKey()).getType() == AttributeDefinition.PASSWORD ? "(hidden)" : e.getValue()))
                .collect(Collectors.joining(" "));
        String pending = awaitApplied(c.getPid(), tilde > 0 ? pid.substring(0, tilde) : null, values);
        return pending == null ? updated : updated + "; not applied within " + APPLY_MILLIS / 1000 + " s (" + pending + ")";
    }

    /**
     * Waits (up to {@link #APPLY_MILLIS}) until what uses the PID runs with the new values, so that
     * the next command sees them; null when it does, else what still waits.
     */
    private String awaitApplied(String pid, String factoryPid, Map<String, Object> values) {
        long deadline = System.nanoTime() + APPLY_MILLIS * 1_000_000L;
        String pending = applied.pending(pid, factoryPid, values);
        while (pending != null && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return pending;
            }
            pending = applied.pending(pid, factoryPid, values);
        }
        return pending;
    }

    String delete(String pid) throws IOException {
        Configuration c = configuration(pid);
        if (c == null) {
            throw new IllegalArgumentException("config:delete: " + pid + " has no configuration (it runs on its defaults)");
        }
        c.delete();
        return pid + (pid.indexOf('~') > 0 ? " deleted" : " deleted: back to its defaults");
    }

    /** The value as the attribute's type, checked by the metatype (ranges, options). */
    private static Object typed(String pid, AttributeDefinition ad, String text) {
        String where = "config:set " + pid + ": " + ad.getID();
        Object value;
        try {
            value = switch (ad.getType()) {
                case AttributeDefinition.LONG -> wholeNumber(text);
                case AttributeDefinition.INTEGER -> Math.toIntExact(wholeNumber(text));
                case AttributeDefinition.SHORT -> Short.valueOf(Long.toString(wholeNumber(text)));
                case AttributeDefinition.BYTE -> Byte.valueOf(Long.toString(wholeNumber(text)));
                case AttributeDefinition.DOUBLE -> Double.valueOf(text.trim());
                case AttributeDefinition.FLOAT -> Float.valueOf(text.trim());
                case AttributeDefinition.BOOLEAN -> parseBoolean(text);
                default -> text;
            };
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(where + " must be " + article(typeName(ad.getType())) + ", not '" + text + "'");
        }
        String problem = ad.validate(value instanceof Number ? value.toString() : text.trim());
        if (problem != null && !problem.isEmpty()) {
            throw new IllegalArgumentException(where + "=" + text + " is refused by the metatype: " + problem);
        }
        return value;
    }

    /** Decimal, or hex with {@code 0x}. */
    private static long wholeNumber(String text) {
        String t = text.trim();
        return t.startsWith("0x") || t.startsWith("0X") ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t);
    }

    private static Boolean parseBoolean(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (!t.equals("true") && !t.equals("false")) {
            throw new NumberFormatException(text);
        }
        return Boolean.valueOf(t);
    }

    private static String typeName(int type) {
        return switch (type) {
            case AttributeDefinition.LONG, AttributeDefinition.INTEGER, AttributeDefinition.SHORT,
                    AttributeDefinition.BYTE -> "whole number";
            case AttributeDefinition.DOUBLE, AttributeDefinition.FLOAT -> "number";
            case AttributeDefinition.BOOLEAN -> "true or false";
            default -> "text";
        };
    }

    private static String article(String type) {
        return type.equals("true or false") ? type : "a " + type;
    }

    private static IllegalArgumentException unknown(String pid) {
        return new IllegalArgumentException("no configurable PID '" + pid + "'; config:list shows them");
    }

    private Configuration configuration(String pid) throws IOException {
        List<Configuration> found = configurations("(service.pid=" + pid + ")");
        return found.isEmpty() ? null : found.get(0);
    }

    private List<Configuration> configurations(String filter) throws IOException {
        try {
            Configuration[] found = admin.listConfigurations(filter);
            return found == null ? List.of() : List.of(found);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("'" + filter + "' is not a valid PID filter: " + e.getMessage());
        }
    }
}
