package trace.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import vidmm.VidMmEvents;

class TraceRecorderTest {
    @Test
    void aFullBufferDropsTheOldestAndCountsThem() {
        TraceRecorder r = new TraceRecorder(3);
        for (long i = 1; i <= 5; i++) {
            r.add("os/PROCESS_CREATED", Map.of("pid", i, TraceRecorder.NANOS, i));
        }
        assertEquals(2, r.dropped());
        assertEquals(List.of(3L, 4L, 5L), r.entries().stream().map(e -> e.properties().get("pid")).toList());
        assertThrows(IllegalArgumentException.class, () -> new TraceRecorder(0));
    }

    /** Two queued submissions on one engine: the second slice starts where the first ended. */
    @Test
    void queuedSubmissionsDoNotOverlapOnTheirEngineTrack() {
        long t0 = 1_000_000_000L;
        TraceRecorder r = new TraceRecorder(100);
        for (long fence = 1; fence <= 2; fence++) {
            r.add(VidMmEvents.SUBMIT, Map.of(VidMmEvents.ADAPTER, 0, VidMmEvents.DEVICE, 7L, VidMmEvents.ENGINE, "COPY",
                    VidMmEvents.FENCE, fence, VidMmEvents.COMMANDS, "copy", VidMmEvents.NANOS, t0 + fence * 1000));
        }
        r.add(VidMmEvents.FENCE_COMPLETED, Map.of(VidMmEvents.DEVICE, 7L, VidMmEvents.FENCE, 1L, VidMmEvents.NANOS, t0 + 50_000));
        r.add(VidMmEvents.FENCE_COMPLETED, Map.of(VidMmEvents.DEVICE, 7L, VidMmEvents.FENCE, 2L, VidMmEvents.NANOS, t0 + 90_000));
        String json = ChromeTrace.json(r.entries(), t0, t0 + 100_000);
        assertTrue(json.contains("{\"ph\":\"X\",\"name\":\"copy\",\"pid\":1,\"tid\":2,\"ts\":1,\"dur\":49,"), json);
        assertTrue(json.contains("{\"ph\":\"X\",\"name\":\"copy\",\"pid\":1,\"tid\":2,\"ts\":50,\"dur\":40,"), json);
        assertTrue(json.contains("\"name\":\"thread_name\",\"pid\":1,\"tid\":2,\"args\":{\"name\":\"COPY\"}"), json);
        assertTrue(json.contains("\"name\":\"process_name\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"adapter 0\"}"), json);
    }

    @Test
    void stringsAreEscaped() {
        assertEquals("\"a\\\"b\\\\c\\n\\u0001\"", ChromeTrace.quote("a\"b\\c\n\u0001"));
    }
}
