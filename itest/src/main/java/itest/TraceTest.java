package itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** trace:start / trace:stop around the sharing scenario, and the file read back as Perfetto would. */
class TraceTest extends ShellTestBase {
    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> events(Path file) throws Exception {
        Map<String, Object> doc = (Map<String, Object>) Json.parse(Files.readString(file));
        return (List<Map<String, Object>>) doc.get("traceEvents");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> args(Map<String, Object> e) {
        return (Map<String, Object>) e.getOrDefault("args", Map.of());
    }

    @Test
    void theSharingScenarioAsATimeline() throws Exception {
        assertTrue(run("trace:start").startsWith("tracing"));
        String report = run("scenario:run sharing out=" + dir.resolve("s.png"));
        long producer = Long.parseLong(group("producer (\\d+)", report));
        long producerPasid = Long.parseLong(group("producer \\d+ \\(PASID (\\d+) on unit 0\\)", report));
        long consumer = Long.parseLong(group("consumer (\\d+)", report));
        Path file = dir.resolve("sharing.json");
        assertTrue(run("trace:stop " + file).matches("wrote .*sharing.json: \\d+ events over \\d+ ms"));

        List<Map<String, Object>> events = events(file);
        Map<String, Long> lastTs = new HashMap<>();
        Map<String, String> names = new HashMap<>();
        for (Map<String, Object> e : events) {
            String ph = (String) e.get("ph");
            String track = e.get("pid") + "/" + e.get("tid");
            assertTrue(List.of("M", "X", "i").contains(ph), "phase " + ph);
            if (ph.equals("M")) {
                names.put(e.get("name") + " " + (e.get("name").equals("process_name") ? e.get("pid") : track),
                        (String) args(e).get("name"));
                continue;
            }
            long ts = (Long) e.get("ts");
            if (ph.equals("X")) {
                assertTrue((Long) e.get("dur") >= 0, "an X event has a duration: " + e);
            }
            assertTrue(ts >= lastTs.getOrDefault(track, 0L), "timestamps go back on track " + track + ": " + e);
            lastTs.put(track, ph.equals("X") ? ts + (Long) e.get("dur") : ts);
        }
        assertEquals("adapter 0", names.get("process_name 1"));
        assertEquals("RENDER", names.get("thread_name 1/1"));
        assertEquals("pid " + producer + " producer", names.get("process_name " + (1000 + producer)));
        assertTrue(events.stream().anyMatch(e -> "X".equals(e.get("ph")) && Long.valueOf(1).equals(e.get("pid"))
                && Long.valueOf(producer).equals(args(e).get("pid")) && Long.valueOf(producerPasid).equals(args(e).get("pasid"))
                && Boolean.TRUE.equals(args(e).get("completed"))),
                "a completed submission of the producer with its PASID on an engine track");
        assertTrue(events.stream().anyMatch(e -> "i".equals(e.get("ph")) && "present on source 0".equals(e.get("name"))
                && Long.valueOf(consumer).equals(args(e).get("pid"))), "the consumer's present");
        assertTrue(events.stream().anyMatch(e -> "X".equals(e.get("ph")) && "DxgkDdiSubmitCommandVirtual".equals(e.get("name"))
                && Long.valueOf(100).equals(e.get("pid"))), "DDI calls on the driver's track");
        assertTrue(names.containsValue("reference"), "the driver's track is named after it");
    }

    @Test
    void badTraceCommandsAreOneLineErrorsAndAFailedStopKeepsTheTrace() throws Exception {
        assertMessage("no trace is running", "trace:stop " + dir.resolve("x.json"));
        run("trace:start");
        assertMessage("already running", "trace:start");
        assertMessage("no such directory (the trace goes on", "trace:stop /nonexistent/dir/t.json");
        run("mm:spawn after-the-failed-stop");
        Path file = dir.resolve("t.json");
        assertTrue(run("trace:stop " + file).startsWith("wrote"));
        assertTrue(events(file).stream().anyMatch(e -> "created".equals(e.get("name"))
                && "after-the-failed-stop".equals(args(e).get("name"))));
        assertFalse(run("trace:start").isEmpty());
        run("trace:stop " + dir.resolve("t2.json"));
    }

    void assertMessage(String expected, String line) {
        Exception e = assertThrows(Exception.class, () -> run(line), line);
        assertTrue(e.getMessage() != null && e.getMessage().contains(expected), line + " -> " + e.getMessage());
    }
}
