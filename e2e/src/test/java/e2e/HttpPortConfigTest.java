package e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code config:set} of the HTTP port applies, typed into the launcher's shell: the web console
 * moves to the new port and leaves the old one.
 */
class HttpPortConfigTest {
    @TempDir
    Path dir;

    /** The HTTP status the console answers at {@code port}, or -1 when nothing listens there. */
    private static int status(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/system/console/").toURL()
                    .openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(5000);
            return c.getResponseCode();
        } catch (IOException nothing) {
            return -1;
        }
    }

    /** Polls for up to 20 s until the console answers at {@code port} with {@code expected}; the last answer. */
    private static int await(int port, int expected) throws InterruptedException {
        long until = System.nanoTime() + 20_000_000_000L;
        int now = status(port);
        while (now != expected && System.nanoTime() < until) {
            Thread.sleep(100);
            now = status(port);
        }
        return now;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The port the instance's console serves on: 8080, or the one its start-up line says it took instead. */
    private static int consolePort(String said) {
        return said.matches("(?s).*serving on 127\\.0\\.0\\.1:(\\d+) instead.*")
                ? Integer.parseInt(said.replaceAll("(?s).*serving on 127\\.0\\.0\\.1:(\\d+) instead.*", "$1")) : 8080;
    }

    /** A port another program holds: refused in one line naming it, nothing changed, the console where it was. */
    @Test
    void configSetOfTheHttpPortToAPortInUseIsRefusedInOneLine() throws Exception {
        try (LauncherShell shell = new LauncherShell(LauncherShell.builtJar(), dir);
             ServerSocket other = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            shell.awaitPrompt();
            int before = consolePort(shell.output());
            assertEquals(401, await(before, 401), "the console answers (asking for credentials) on " + before);
            int taken = other.getLocalPort();
            String out = shell.type("config:set org.apache.felix.http org.osgi.service.http.port=" + taken, "(?s)(.*?)g! ");
            assertTrue(out.contains("org.osgi.service.http.port=" + taken + ": port " + taken + " is in use")
                    && out.contains("nothing changed"), out);
            assertEquals(1, out.strip().lines().count(), "one line:\n" + out);
            String get = shell.type("config:get org.apache.felix.http", "(?s)(.*?)g! ");
            assertFalse(get.contains("= " + taken), "the configuration is unchanged:\n" + get);
            assertEquals(401, status(before), "the console stays on " + before);
            assertFalse(shell.output().contains("\tat "), "no stack trace:\n" + shell.output());
        }
    }

    @Test
    void configSetOfTheHttpPortMovesTheConsole() throws Exception {
        try (LauncherShell shell = new LauncherShell(LauncherShell.builtJar(), dir)) {
            shell.awaitPrompt();
            int before = consolePort(shell.output());
            assertEquals(401, await(before, 401), "the console answers (asking for credentials) on " + before);
            int port = freePort();
            String out = shell.type("config:set org.apache.felix.http org.osgi.service.http.port=" + port, "(?s)(.*?)g! ");
            assertTrue(out.contains("org.apache.felix.http updated: org.osgi.service.http.port=" + port), out);
            assertEquals(401, await(port, 401), "the console moved to " + port + ":\n" + shell.output());
            assertEquals(-1, await(before, -1), "and left " + before);
            assertFalse(shell.output().contains("\tat "), "no stack trace:\n" + shell.output());
        }
    }
}
