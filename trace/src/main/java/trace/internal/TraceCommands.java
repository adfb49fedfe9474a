package trace.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.service.metatype.annotations.Designate;

/**
 * {@code trace:start} and {@code trace:stop FILE.json}: while a trace runs, an Event Admin handler
 * records the model's events ({@code iommu/*}, {@code os/*}, {@code vidmm/*}, {@code display/*}) in a
 * bounded buffer; stopping writes them as a Chrome Trace Event Format file.
 */
@Component(service = TraceCommands.class, immediate = true, configurationPid = TraceConfig.PID, property = {
        "osgi.command.scope=trace",
        "osgi.command.function=start",
        "osgi.command.function=stop"})
@Designate(ocd = TraceConfig.class)
public final class TraceCommands {
    private static final String[] TOPICS = {"iommu/*", "os/*", "vidmm/*", "display/*", TraceRecorder.MARKER};

    private final BundleContext context;
    private final int bufferEvents;
    private TraceRecorder recorder;
    private ServiceRegistration<EventHandler> handler;
    /** Where the model posts its events: a stop posts its marker there too. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    @Activate
    public TraceCommands(BundleContext context, TraceConfig config) {
        this.context = context;
        int size = config.bufferEvents();
        if (size < 1000 || size > 10_000_000) {
            System.getLogger(TraceCommands.class.getName()).log(System.Logger.Level.ERROR, "configuration "
                    + TraceConfig.PID + ": bufferEvents must be 1000..10000000, not " + size + "; using 200000");
            size = 200_000;
        }
        this.bufferEvents = size;
    }

    @Descriptor("starts recording the model's events (submissions, DDI calls, faults, page requests, presents...)")
    public synchronized String start() {
        if (recorder != null) {
            throw new IllegalStateException("a trace is already running; trace:stop FILE.json ends it");
        }
        TraceRecorder r = new TraceRecorder(bufferEvents);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(EventConstants.EVENT_TOPIC, TOPICS);
        handler = context.registerService(EventHandler.class, r::add, props);
        recorder = r;
        return "tracing (buffer of " + bufferEvents + " events); trace:stop FILE.json writes it";
    }

    @Descriptor("stops the trace and writes it as Chrome Trace Event Format JSON, for Perfetto or chrome://tracing")
    public synchronized String stop(@Descriptor("the JSON file to write") String file) throws IOException {
        if (recorder == null) {
            throw new IllegalStateException("no trace is running; trace:start begins one");
        }
        Path path = Path.of(file).toAbsolutePath();
        long stopped = System.nanoTime();
        TraceRecorder r = recorder;
        try {
            EventAdmin admin = events;
            if (admin != null) { // this thread's events (a command just typed) are in once its marker is
                admin.postEvent(new Event(TraceRecorder.MARKER, java.util.Map.of(TraceRecorder.MARKER_ID, stopped)));
                r.awaitMarker(stopped, 2000);
            }
            r.awaitQuiet(100, 2000); // other threads' events posted before the stop, still being delivered
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<TraceRecorder.Entry> entries = r.entries();
        write(path, ChromeTrace.json(entries, r.startNanos(), stopped)); // a failed write leaves the trace running
        handler.unregister();
        recorder = null;
        handler = null;
        return String.format("wrote %s: %d events over %d ms%s", path, entries.size(), (stopped - r.startNanos()) / 1_000_000,
                r.dropped() == 0 ? "" : "; " + r.dropped() + " older events were dropped (buffer of " + bufferEvents + ")");
    }

    private static void write(Path path, String json) throws IOException {
        try {
            Files.writeString(path, json, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException("cannot write " + path + ": no such directory (the trace goes on; stop it into another file)", e);
        } catch (AccessDeniedException e) {
            throw new IOException("cannot write " + path + ": permission denied (the trace goes on; stop it into another file)", e);
        } catch (FileSystemException e) {
            throw new IOException("cannot write " + path + ": " + e.getReason() + " (the trace goes on; stop it into another file)", e);
        }
    }

    @Deactivate
    synchronized void stopRecording() {
        if (handler != null) {
            handler.unregister();
            handler = null;
            recorder = null;
        }
    }
}
