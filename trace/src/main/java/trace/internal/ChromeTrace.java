package trace.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import iommu.hw.IommuEvents;
import os.memmgr.MemoryEvents;
import trace.internal.TraceRecorder.Entry;
import vidmm.VidMmEvents;

/**
 * Turns recorded events into the Chrome Trace Event Format that Perfetto and chrome://tracing open:
 * a track per engine of each adapter with a slice per submission, a track per driver with a slice per
 * DDI call, instants for faults, page requests, invalidations, page-outs, resets, driver changes and
 * presents, and names for every track. Timestamps are microseconds from the trace's start; on every
 * track they never go back (a queued submission's slice starts when the one before it ended).
 */
final class ChromeTrace {
    private static final int DRIVERS = 100;
    private static final int IOMMU = 200;
    private static final int PROCESS_BASE = 1000;

    private final long start;
    private final long stop;
    private final Map<String, String> processNames = new LinkedHashMap<>();
    private final Map<String, String> threadNames = new LinkedHashMap<>();
    private final Map<String, Integer> driverThreads = new HashMap<>();
    private final Map<String, Integer> engineThreads = new HashMap<>();
    private final List<Slice> slices = new ArrayList<>();

    /** One trace event before it is written; {@code dur} < 0 for an instant. */
    private record Slice(int pid, int tid, long ts, long dur, String name, Map<String, Object> args) {
    }

    private ChromeTrace(long startNanos, long stopNanos) {
        this.start = startNanos;
        this.stop = stopNanos;
    }

    /** The JSON document of {@code entries}, recorded from {@code startNanos} to {@code stopNanos}. */
    static String json(List<Entry> entries, long startNanos, long stopNanos) {
        ChromeTrace t = new ChromeTrace(startNanos, stopNanos);
        t.add(entries);
        return t.write();
    }

    private long micros(long nanos) {
        return Math.max(0, (nanos - start) / 1000);
    }

    private static long number(Map<String, Object> p, String key) {
        return p.get(key) instanceof Number n ? n.longValue() : 0;
    }

    private static String text(Map<String, Object> p, String key) {
        Object v = p.get(key);
        return v == null ? "?" : v.toString();
    }

    private int adapter(Map<String, Object> p) {
        int pid = 1 + (int) number(p, VidMmEvents.ADAPTER);
        processNames.putIfAbsent(pid + "", "adapter " + (pid - 1));
        return pid;
    }

    private int engine(int adapterPid, String engine) {
        int tid = engineThreads.computeIfAbsent(engine, e -> switch (e) {
            case "RENDER" -> 1;
            case "COPY" -> 2;
            case "display" -> 10;
            default -> 20 + engineThreads.size();
        });
        threadNames.putIfAbsent(adapterPid + "/" + tid, engine);
        return tid;
    }

    private int driver(String name) {
        processNames.putIfAbsent(DRIVERS + "", "drivers");
        int tid = driverThreads.computeIfAbsent(name, n -> 1 + driverThreads.size());
        threadNames.putIfAbsent(DRIVERS + "/" + tid, name);
        return tid;
    }

    private int iommu(int tid, String name) {
        processNames.putIfAbsent(IOMMU + "", "IOMMU");
        threadNames.putIfAbsent(IOMMU + "/" + tid, name);
        return tid;
    }

    private int process(Map<String, Object> p) {
        long pid = number(p, MemoryEvents.PID);
        int tracePid = PROCESS_BASE + (int) pid;
        processNames.putIfAbsent(tracePid + "", "pid " + pid);
        threadNames.putIfAbsent(tracePid + "/1", "memory");
        return tracePid;
    }

    private void instant(int pid, int tid, long nanos, String name, Map<String, Object> args) {
        slices.add(new Slice(pid, tid, micros(nanos), -1, name, args));
    }

    private static Map<String, Object> args(Map<String, Object> p, String... keys) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String k : keys) {
            Object v = p.get(k);
            if (v != null) {
                out.put(k, k.equals("va") && v instanceof Number n ? String.format("0x%x", n.longValue()) : v);
            }
        }
        return out;
    }

    private void add(List<Entry> entries) {
        Map<Long, List<long[]>> completions = new HashMap<>(); // fence timeline -> {fence, nanos}
        List<Entry> submissions = new ArrayList<>();
        List<Entry> ddis = new ArrayList<>();
        for (Entry e : entries) {
            Map<String, Object> p = e.properties();
            switch (e.topic()) {
                case VidMmEvents.SUBMIT -> submissions.add(e);
                case VidMmEvents.FENCE_COMPLETED -> completions.computeIfAbsent(timeline(p),
                        d -> new ArrayList<>()).add(new long[] {number(p, VidMmEvents.FENCE), e.nanos()});
                case VidMmEvents.DDI_CALL -> ddis.add(e);
                case MemoryEvents.PROCESS_CREATED -> {
                    int pid = process(p);
                    processNames.put(pid + "", "pid " + number(p, MemoryEvents.PID) + " " + text(p, MemoryEvents.NAME));
                    instant(pid, 1, e.nanos(), "created", args(p, MemoryEvents.PID, MemoryEvents.NAME));
                }
                case MemoryEvents.PROCESS_EXITED -> instant(process(p), 1, e.nanos(), "exited", args(p, MemoryEvents.PID));
                case MemoryEvents.PAGE_OUT -> instant(process(p), 1, e.nanos(), "page-out " + number(p, MemoryEvents.PAGES)
                        + " pages", args(p, MemoryEvents.PID, MemoryEvents.PASIDS, MemoryEvents.PAGES));
                case IommuEvents.FAULT -> instant(IOMMU, iommu(1, "faults"), e.nanos(), "fault " + text(p, IommuEvents.REASON),
                        args(p, IommuEvents.PASID, IommuEvents.VA, IommuEvents.ACCESS, IommuEvents.REASON));
                case IommuEvents.PAGE_REQUEST -> instant(IOMMU, iommu(2, "page requests"), e.nanos(), "page request "
                        + text(p, IommuEvents.RESPONSE), args(p, IommuEvents.PASID, IommuEvents.VA, IommuEvents.ACCESS));
                case IommuEvents.INVALIDATION -> instant(IOMMU, iommu(3, "invalidations"), e.nanos(), "invalidate "
                        + text(p, IommuEvents.SCOPE), args(p, IommuEvents.PASID, IommuEvents.VA, IommuEvents.LENGTH));
                case VidMmEvents.GPU_FAULT, VidMmEvents.ENGINE_RESET -> {
                    int a = adapter(p);
                    instant(a, engine(a, text(p, VidMmEvents.ENGINE)), e.nanos(), e.topic().equals(VidMmEvents.GPU_FAULT)
                            ? "GPU fault " + text(p, VidMmEvents.REASON) : "engine reset: " + text(p, VidMmEvents.OUTCOME),
                            args(p, VidMmEvents.PID, VidMmEvents.PASID, VidMmEvents.DEVICE, VidMmEvents.VA));
                }
                case VidMmEvents.DRIVER_ATTACHED, VidMmEvents.DRIVER_DETACHED, VidMmEvents.DRIVER_REFUSED -> instant(DRIVERS,
                        driver(text(p, VidMmEvents.DRIVER)), e.nanos(), e.topic().substring(e.topic().indexOf('_') + 1)
                                .toLowerCase(java.util.Locale.ROOT), args(p, VidMmEvents.SERVICE_ID, VidMmEvents.REASON));
                case VidMmEvents.PRESENT -> {
                    int a = adapter(p);
                    instant(a, engine(a, "display"), e.nanos(), "present on source " + number(p, VidMmEvents.SOURCE),
                            args(p, VidMmEvents.PID, VidMmEvents.DEVICE, VidMmEvents.HANDLE, VidMmEvents.VA));
                }
                default -> {
                    // a topic of the model this writer does not draw
                }
            }
        }
        addSubmissions(submissions, completions);
        addDdis(ddis);
    }

    /** Whose fence values an event's fence counts: its context's (a device's, in a trace of a model without contexts). */
    private static long timeline(Map<String, Object> p) {
        return p.containsKey(VidMmEvents.CONTEXT) ? number(p, VidMmEvents.CONTEXT) : number(p, VidMmEvents.DEVICE);
    }

    /** A slice per submission on its engine's track, from when the engine could start it to its fence. */
    private void addSubmissions(List<Entry> submissions, Map<Long, List<long[]>> fenceAndNanos) {
        Map<Long, Completions> completions = new HashMap<>();
        fenceAndNanos.forEach((device, list) -> completions.put(device, Completions.of(list)));
        Map<String, Long> trackEnd = new HashMap<>();
        submissions.sort(Comparator.comparingLong(Entry::nanos));
        for (Entry e : submissions) {
            Map<String, Object> p = e.properties();
            int a = adapter(p);
            int tid = engine(a, text(p, VidMmEvents.ENGINE));
            Completions device = completions.get(timeline(p));
            long done = device == null ? -1 : device.of(number(p, VidMmEvents.FENCE));
            long begin = Math.max(e.nanos(), trackEnd.getOrDefault(a + "/" + tid, Long.MIN_VALUE));
            long end = Math.max(begin, done < 0 ? stop : done);
            trackEnd.put(a + "/" + tid, end);
            Map<String, Object> args = args(p, VidMmEvents.PID, VidMmEvents.PASID, VidMmEvents.DEVICE, VidMmEvents.CONTEXT, VidMmEvents.FENCE,
                    VidMmEvents.BYTES);
            args.put("completed", done >= 0);
            slices.add(new Slice(a, tid, micros(begin), Math.max(0, micros(end) - micros(begin)), text(p, VidMmEvents.COMMANDS), args));
        }
    }

    /** A context's fence completions: fences ascending, and for each the earliest arrival of it or a later one. */
    private record Completions(long[] fences, long[] earliest) {
        static Completions of(List<long[]> fenceAndNanos) {
            fenceAndNanos.sort(Comparator.comparingLong(c -> c[0]));
            int n = fenceAndNanos.size();
            long[] fences = new long[n];
            long[] earliest = new long[n];
            long min = Long.MAX_VALUE;
            for (int i = n - 1; i >= 0; i--) {
                fences[i] = fenceAndNanos.get(i)[0];
                min = Math.min(min, fenceAndNanos.get(i)[1]);
                earliest[i] = min;
            }
            return new Completions(fences, earliest);
        }

        /** When the first completion that covers {@code fence} arrived, or -1. */
        long of(long fence) {
            int at = java.util.Arrays.binarySearch(fences, fence);
            if (at < 0) {
                at = -at - 1; // the first fence above it
            } else {
                while (at > 0 && fences[at - 1] == fence) {
                    at--;
                }
            }
            return at == fences.length ? -1 : earliest[at];
        }
    }

    private void addDdis(List<Entry> ddis) {
        Map<Integer, Long> trackEnd = new HashMap<>();
        ddis.sort(Comparator.comparingLong(Entry::nanos));
        for (Entry e : ddis) {
            Map<String, Object> p = e.properties();
            int tid = driver(text(p, VidMmEvents.DRIVER));
            long begin = Math.max(e.nanos(), trackEnd.getOrDefault(tid, Long.MIN_VALUE));
            long end = Math.max(begin, e.nanos() + number(p, VidMmEvents.DURATION_NANOS));
            trackEnd.put(tid, end);
            slices.add(new Slice(DRIVERS, tid, micros(begin), Math.max(0, micros(end) - micros(begin)),
                    text(p, VidMmEvents.DDI), Map.of()));
        }
    }

    private String write() {
        StringBuilder b = new StringBuilder("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
        List<String> lines = new ArrayList<>();
        processNames.forEach((pid, name) -> lines.add(String.format(
                "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%s,\"tid\":0,\"args\":{\"name\":%s}}", pid, quote(name))));
        threadNames.forEach((key, name) -> {
            String[] pt = key.split("/");
            lines.add(String.format("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%s,\"tid\":%s,\"args\":{\"name\":%s}}",
                    pt[0], pt[1], quote(name)));
        });
        slices.sort(Comparator.comparingLong(Slice::ts));
        for (Slice s : slices) {
            StringBuilder e = new StringBuilder(String.format("{\"ph\":\"%s\",\"name\":%s,\"pid\":%d,\"tid\":%d,\"ts\":%d",
                    s.dur() < 0 ? "i" : "X", quote(s.name()), s.pid(), s.tid(), s.ts()));
            e.append(s.dur() < 0 ? ",\"s\":\"t\"" : ",\"dur\":" + s.dur());
            e.append(",\"args\":{");
            int i = 0;
            for (var a : s.args().entrySet()) {
                e.append(i++ == 0 ? "" : ",").append(quote(a.getKey())).append(':').append(value(a.getValue()));
            }
            lines.add(e.append("}}").toString());
        }
        return b.append(String.join(",\n", lines)).append("\n]}\n").toString();
    }

    private static String value(Object v) {
        return v instanceof Number || v instanceof Boolean ? v.toString() : quote(String.valueOf(v));
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
