package e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The launcher jar run as a user runs it, in a working directory of the test's choosing: lines are
 * typed into its Gogo shell, everything it prints (standard output and error) is collected.
 */
public final class LauncherShell implements AutoCloseable {
    private final Process process;
    private final Writer in;
    private final StringBuffer out = new StringBuffer();
    private int consumed;

    /** Starts {@code java -jar JAR} in {@code workingDirectory}. */
    public LauncherShell(Path jar, Path workingDirectory) throws IOException {
        this(new ProcessBuilder(java(), "-jar", checked(jar).toAbsolutePath().toString()), workingDirectory);
    }

    /** Starts {@code command} (a script that starts the launcher) in {@code workingDirectory}. */
    public LauncherShell(ProcessBuilder command, Path workingDirectory) throws IOException {
        process = command.directory(workingDirectory.toFile()).redirectErrorStream(true).start();
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (int c; (c = r.read()) >= 0; ) {
                    out.append((char) c);
                }
            } catch (IOException ended) {
                // the process went
            }
        }, "launcher-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** The java of the JVM running the tests. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Path checked(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the launcher is not built at " + jar);
        }
        return jar;
    }

    /** The checkout: the {@code project.root} system property, else the reactor's. */
    public static Path projectRoot() {
        return Path.of(System.getProperty("project.root", "..")).toAbsolutePath().normalize();
    }

    /** The jar the build made: the {@code launcher.jar} system property, else the reactor's. */
    public static Path builtJar() {
        return Path.of(System.getProperty("launcher.jar", "../launcher/target/launcher.jar"));
    }

    /** Everything printed so far. */
    public String output() {
        return out.toString();
    }

    /** Waits (up to 60 s) for the shell's first prompt. */
    public void awaitPrompt() throws Exception {
        await("g! ");
    }

    /**
     * Types a line and waits (up to 60 s) until what it prints after it matches {@code regex};
     * returns group 1 if the pattern has one, else the match.
     */
    public String type(String line, String regex) throws Exception {
        return type(line, regex, 60);
    }

    /** As {@link #type(String, String)}, waiting up to {@code seconds} (a command that runs long). */
    public String type(String line, String regex, int seconds) throws Exception {
        consumed = out.length();
        in.write(line + "\n");
        in.flush();
        return await(regex, seconds);
    }

    private String await(String regex) throws Exception {
        return await(regex, 60);
    }

    private String await(String regex, int seconds) throws Exception {
        Pattern p = Pattern.compile(regex);
        long deadline = System.currentTimeMillis() + seconds * 1000L;
        while (System.currentTimeMillis() < deadline) {
            Matcher m = p.matcher(out.substring(Math.min(consumed, out.length())));
            if (m.find()) {
                return m.groupCount() > 0 ? m.group(1) : m.group();
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("never printed " + regex + "; the launcher printed:\n" + out);
    }

    /** Types {@code exit 0} and waits (up to 20 s) for the JVM to end; its exit code. */
    public int exit() throws Exception {
        try {
            in.write("exit 0\n");
            in.close();
        } catch (IOException gone) {
            // already ended
        }
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            exit();
        }
    }
}
