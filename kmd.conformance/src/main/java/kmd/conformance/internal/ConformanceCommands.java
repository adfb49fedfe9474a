package kmd.conformance.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import kmd.conformance.ConformanceKit;
import kmd.conformance.Report;

/** {@code conformance:run DRIVER [ADAPTER] [junit=FILE]} and {@code conformance:umd UMD [ADAPTER] [junit=FILE]}: the kit from the shell. */
@Component(service = ConformanceCommands.class, property = {"osgi.command.scope=conformance",
        "osgi.command.function=run", "osgi.command.function=checks", "osgi.command.function=umd"})
public final class ConformanceCommands {
    private final ConformanceKit kit;

    @Activate
    public ConformanceCommands(@Reference ConformanceKit kit) {
        this.kit = kit;
    }

    @Descriptor("the checks conformance:run (KMD) and conformance:umd (UMD) make, in order")
    public String checks() {
        return "KMD: " + String.join(" ", kit.checks()) + "\nUMD: " + String.join(" ", kit.umdChecks());
    }

    @Descriptor("runs the UMD conformance checks against a user-mode driver on adapter 0: PASS/FAIL per check, then N passed, M failed")
    public String umd(@Descriptor("the UMD's umd.name") String umd) {
        return report(kit.runUmd(umd, 0), null);
    }

    @Descriptor("runs the UMD conformance checks on an adapter, or on adapter 0 with junit=FILE.xml")
    public String umd(@Descriptor("the UMD's umd.name") String umd,
                      @Descriptor("adapter index, or junit=FILE.xml to also write JUnit XML") String option) {
        return withOption(a -> kit.runUmd(umd, a), 0, option);
    }

    @Descriptor("runs the UMD conformance checks on an adapter and also writes JUnit XML")
    public String umd(@Descriptor("the UMD's umd.name") String umd,
                      @Descriptor("adapter index, as gpu:list shows it") String adapter,
                      @Descriptor("junit=FILE.xml") String junit) {
        Path file = junit(junit);
        return report(kit.runUmd(umd, adapter(adapter)), file);
    }

    @Descriptor("runs the KMD conformance checks against a driver on the first adapter it matches: PASS/FAIL per check, then N passed, M failed")
    public String run(@Descriptor("the driver's kmd.name, as kmd:list shows it") String driver) {
        return report(kit.run(driver, -1), null);
    }

    @Descriptor("runs the KMD conformance checks against a driver on an adapter, or on the first it matches with junit=FILE.xml")
    public String run(@Descriptor("the driver's kmd.name, as kmd:list shows it") String driver,
                      @Descriptor("adapter index, or junit=FILE.xml to also write JUnit XML") String option) {
        return withOption(a -> kit.run(driver, a), -1, option);
    }

    @Descriptor("runs the KMD conformance checks against a driver on an adapter and also writes JUnit XML")
    public String run(@Descriptor("the driver's kmd.name, as kmd:list shows it") String driver,
                      @Descriptor("adapter index, as gpu:list shows it") String adapter,
                      @Descriptor("junit=FILE.xml") String junit) {
        Path file = junit(junit); // a bad path is refused before the run
        return report(kit.run(driver, adapter(adapter)), file);
    }

    /** A run whose one option is an adapter index or junit=FILE.xml ({@code fallback}: the adapter then). */
    private static String withOption(java.util.function.IntFunction<Report> run, int fallback, String option) {
        if (option.startsWith("junit=")) {
            Path file = junit(option); // a bad path is refused before the run
            return report(run.apply(fallback), file);
        }
        return report(run.apply(adapter(option)), null);
    }

    private static int adapter(String text) {
        try {
            int index = Integer.parseInt(text);
            if (index >= 0) {
                return index;
            }
        } catch (NumberFormatException e) {
            // fall through to the one-line error
        }
        throw new IllegalArgumentException("ADAPTER must be an adapter index (0, 1, ...), not '" + text + "'");
    }

    private static Path junit(String option) {
        if (!option.startsWith("junit=") || option.length() == "junit=".length()) {
            throw new IllegalArgumentException("expected junit=FILE.xml, not '" + option + "'");
        }
        Path file = Paths.get(option.substring("junit=".length())).toAbsolutePath();
        if (!java.nio.file.Files.isDirectory(file.getParent())) {
            throw new IllegalArgumentException("cannot write " + file + ": no such directory " + file.getParent());
        }
        return file;
    }

    private static String report(Report report, Path junit) {
        String text = String.join("\n", report.lines());
        if (junit == null) {
            return text;
        }
        try {
            JUnitXml.write(report, junit);
            return text + "\nJUnit XML written to " + junit;
        } catch (IOException e) {
            return text + "\ncannot write " + junit + ": " + (e.getMessage() == null ? e : e.getMessage());
        }
    }
}
