package itest;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.osgi.framework.BundleContext;
import org.osgi.util.tracker.ServiceTracker;

/** A Gogo command session for tests, and the small helpers every in-framework test uses. */
final class Shell implements AutoCloseable {
    private final CommandSession session;

    Shell(CommandProcessor processor) {
        PrintStream out = new PrintStream(new ByteArrayOutputStream());
        session = processor.createSession(new ByteArrayInputStream(new byte[0]), out, out);
    }

    /** Runs one command line as a user types it; returns what it printed. */
    String run(String line) throws Exception {
        return String.valueOf(session.execute(line));
    }

    /**
     * Runs {@code line} until its output matches {@code regex} (dot matches newlines), for state that
     * settles asynchronously (a service re-registering, a command that is not there yet); fails after
     * 5 s with the last output.
     */
    String awaitOutput(String line, String regex) throws Exception {
        long deadline = System.currentTimeMillis() + 5000;
        String out = runOrError(line);
        while (!Pattern.compile(regex, Pattern.DOTALL).matcher(out).matches()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("'" + line + "' never matched " + regex + "; last output:\n" + out);
            }
            Thread.sleep(20);
            out = runOrError(line);
        }
        return out;
    }

    /** The output, or the error of a command that is not there yet (its component restarting). */
    private String runOrError(String line) throws Exception {
        try {
            return run(line);
        } catch (IllegalArgumentException notThereYet) {
            return "error: " + notThereYet.getMessage();
        }
    }

    @Override
    public void close() {
        session.close();
    }

    /** The first group of {@code regex} in {@code text}; fails the test if it is not there. */
    static String group(String regex, String text) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), "'" + regex + "' not in: " + text);
        return m.group(1);
    }

    /** The installed bundle named {@code symbolicName}; fails the test if there is none. */
    static org.osgi.framework.Bundle bundle(BundleContext context, String symbolicName) {
        for (org.osgi.framework.Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("bundle " + symbolicName + " is not installed");
    }

    /**
     * Waits up to 5 s for system memory (restarting with the iommu.hw bundle) to have {@code bytes};
     * returns the size it has then.
     */
    static long awaitMemorySize(BundleContext context, long bytes) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        long size = await(context, iommu.hw.SystemMemory.class).size();
        while (size != bytes && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
            size = await(context, iommu.hw.SystemMemory.class).size();
        }
        return size;
    }

    /** Waits up to 5 s for a service (one that may be restarting). */
    static <T> T await(BundleContext context, Class<T> type) throws InterruptedException {
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context, type, null);
        tracker.open();
        try {
            T service = tracker.waitForService(5000);
            assertNotNull(service, type.getName() + " did not come up");
            return service;
        } finally {
            tracker.close();
        }
    }
}
