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

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The conformance kit in a vendor's {@code mvn verify}: runs every check against the driver named by
 * the framework property {@code conformance.driver} (on adapter {@code conformance.adapter}, or the
 * first adapter it matches), and reports each check as one JUnit test, named as
 * {@code conformance:run} prints it.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
public class ConformanceTest {
    /** The framework property naming the driver under test ({@code kmd.name}). */
    public static final String DRIVER = "conformance.driver";
    /** The framework property naming the adapter (an index); absent: the first adapter the driver matches. */
    public static final String ADAPTER = "conformance.adapter";

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 30_000)
    ConformanceKit kit;

    @TestFactory
    Stream<DynamicTest> checks() throws Exception {
        String driver = context.getProperty(DRIVER);
        if (driver == null || driver.isBlank()) {
            fail("set the framework property " + DRIVER + " to your driver's kmd.name (in -runproperties)");
        }
        awaitDriver(driver);
        String adapter = context.getProperty(ADAPTER);
        Report report = kit.run(driver, adapter == null ? -1 : Integer.parseInt(adapter.trim()));
        return report.results().stream().map(r -> DynamicTest.dynamicTest(r.name(), () -> verdict(r)));
    }

    private static void verdict(CheckResult r) {
        if (!r.passed()) {
            fail(r.line());
        }
    }

    /** Waits (up to 30 s) until a DisplayDriver service with that name is registered. */
    private void awaitDriver(String name) throws Exception {
        Filter filter = FrameworkUtil.createFilter("(&(objectClass=" + DisplayDriver.class.getName() + ")("
                + DisplayDriver.NAME + "=" + name + "))");
        ServiceTracker<DisplayDriver, DisplayDriver> tracker = new ServiceTracker<>(context, filter, null);
        tracker.open();
        try {
            if (tracker.waitForService(30_000) == null) {
                fail("no DisplayDriver service with " + DisplayDriver.NAME + "=" + name + " registered within 30 s");
            }
        } finally {
            tracker.close();
        }
    }
}
