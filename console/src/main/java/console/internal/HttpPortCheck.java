package console.internal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * Before the HTTP service starts (this bundle starts first at the same start level), checks that
 * the web console's port is free, so that a second instance on one machine says in one line what it
 * did instead of printing the HTTP service's stack trace: it takes the next free port of the ten
 * above, or runs without the console. The HTTP service reads its port as a framework property, which
 * falls back to the system property set here; an explicit framework property or a
 * {@code config:set org.apache.felix.http org.osgi.service.http.port N} still wins.
 */
public final class HttpPortCheck implements BundleActivator {
    static final String PORT = "org.osgi.service.http.port";
    static final String HOST = "org.apache.felix.http.host";
    static final String ENABLE = "org.apache.felix.http.enable";
    static final int DEFAULT_PORT = 8080;
    static final int TRIES = 10;

    @Override
    public void start(BundleContext context) {
        String configured = context.getProperty(PORT);
        String host = context.getProperty(HOST);
        int port;
        try {
            port = configured == null ? DEFAULT_PORT : Integer.parseInt(configured.trim());
        } catch (NumberFormatException e) {
            System.out.println("web console: " + PORT + " is '" + configured + "', not a port number; HTTP service decides");
            return;
        }
        if (port <= 0 || free(host, port)) {
            return;
        }
        for (int p = port + 1; p <= port + TRIES && p <= 65535; p++) {
            if (free(host, p)) {
                System.setProperty(PORT, Integer.toString(p));
                System.out.println("web console: port " + port + " is in use (another instance?); serving on "
                        + hostName(host) + ":" + p + " instead");
                return;
            }
        }
        System.setProperty(ENABLE, "false");
        System.out.println("web console: ports " + port + ".." + (port + TRIES) + " are all in use; running without it");
    }

    @Override
    public void stop(BundleContext context) {
    }

    private static String hostName(String host) {
        return host == null ? "0.0.0.0" : host;
    }

    /** Whether a server socket can bind {@code host:port} now (it is closed again at once). */
    static boolean free(String host, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(host == null ? new InetSocketAddress(port) : new InetSocketAddress(InetAddress.getByName(host), port));
            return true;
        } catch (IOException taken) {
            return false;
        }
    }
}
