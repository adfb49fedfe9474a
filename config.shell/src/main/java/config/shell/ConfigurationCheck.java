package config.shell;

import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A check that {@code config:set} asks before it changes a configuration: a bundle that knows what a
 * value means now (a port another program holds, a file another instance locks) registers one as a
 * service with {@link #PID} naming the PID it checks. A refusal is one line; the configuration is
 * left as it was.
 */
@ConsumerType
public interface ConfigurationCheck {
    /** The service property naming the configuration PID the check is for. */
    String PID = "config.check.pid";

    /**
     * Why {@code changes} (the keys being set, typed as the metatype says) may not be applied to
     * {@code pid} now, in one line; null if they may.
     */
    String problem(String pid, Map<String, Object> changes);
}
