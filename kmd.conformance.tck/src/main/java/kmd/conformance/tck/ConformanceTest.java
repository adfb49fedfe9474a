package kmd.conformance.tck;

import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;
import org.osgi.util.tracker.ServiceTracker;
import org.junit.jupiter.api.extension.ExtendWith;

import kmd.api.DisplayDriver;
import kmd.conformance.CheckResult;
import kmd.conformance.ConformanceKit;
import kmd.conformance.Report;
import umd.api.UserModeDriver;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The conformance kit in a vendor's {@code mvn verify}: runs every KMD check against the driver named
 * by the framework property {@code conformance.driver} (on adapter {@code conformance.adapter}, or the
 * first adapter it matches), and every UMD check against the UMD named by {@code conformance.umd},
 * and reports each check as one JUnit test, named as {@code conformance:run} prints it.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
public class ConformanceTest {
    /** The framework property naming the driver under test ({@code kmd.name}). */
    public static final String DRIVER = "conformance.driver";
    /** The framework property naming the adapter (an index); absent: the first adapter the driver matches. */
    public static final String ADAPTER = "conformance.adapter";
    /** The framework property naming a user-mode driver under test ({@code umd.name}); absent: no UMD checks. */
    public static final String UMD = "conformance.umd";

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 30_000)
    ConformanceKit kit;

    @TestFactory
    Stream<DynamicTest> checks() throws Exception {
        String driver = context.getProperty(DRIVER);
        String umd = context.getProperty(UMD);
        if ((driver == null || driver.isBlank()) && (umd == null || umd.isBlank())) {
            fail("set the framework property " + DRIVER + " to your KMD's kmd.name, or " + UMD + " to your UMD's umd.name"
                    + " (in -runproperties)");
        }
        String adapter = context.getProperty(ADAPTER);
        int index = adapter == null ? -1 : Integer.parseInt(adapter.trim());
        Stream<DynamicTest> tests = Stream.empty();
        if (driver != null && !driver.isBlank()) {
            awaitService(DisplayDriver.class, DisplayDriver.NAME, driver);
            tests = tests(kit.run(driver, index));
        }
        if (umd != null && !umd.isBlank()) {
            awaitService(UserModeDriver.class, "umd.name", umd);
            tests = Stream.concat(tests, tests(kit.runUmd(umd, index)));
        }
        return tests;
    }

    private static Stream<DynamicTest> tests(Report report) {
        return report.results().stream().map(r -> DynamicTest.dynamicTest(r.name(), () -> verdict(r)));
    }

    private static void verdict(CheckResult r) {
        if (!r.passed()) {
            fail(r.line());
        }
    }

    /** Waits (up to 30 s) until a {@code type} service whose {@code property} is {@code name} is registered. */
    private void awaitService(Class<?> type, String property, String name) throws Exception {
        Filter filter = FrameworkUtil.createFilter("(&(objectClass=" + type.getName() + ")(" + property + "=" + name + "))");
        ServiceTracker<?, ?> tracker = new ServiceTracker<>(context, filter, null);
        tracker.open();
        try {
            if (tracker.waitForService(30_000) == null) {
                fail("no " + type.getSimpleName() + " service with " + property + "=" + name + " registered within 30 s");
            }
        } finally {
            tracker.close();
        }
    }
}
