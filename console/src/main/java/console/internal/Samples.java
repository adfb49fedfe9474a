package console.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import gpu.hw.GpuAdapter;
import iommu.hw.Iommu;
import iommu.hw.IommuStats;
import kmd.api.EngineNode;
import os.memmgr.MemoryManager;
import os.memmgr.PagingInfo;
import vidmm.ContextInfo;
import vidmm.VidMm;

/**
 * What the page's charts draw: once a second, the machine's counters become one sample of each
 * series (pages out and in, page requests, the GPUs' device-TLB hit rate, each unit's IOTLB hit rate
 * (of what the device TLBs missed and untranslated requests), the commit charge, submissions
 * and completed fences per engine node), and per process its commit charge and the GPU memory it has
 * resident against its budget; the last five minutes are kept.
 */
@Component(service = Samples.class, immediate = true)
public final class Samples {
    /** Samples kept: five minutes at one a second. */
    static final int KEEP = 300;
    /** Per-process series: a process's commit charge (pages), and its GPU usage as a share of its budget (%). */
    static final String COMMIT = "commit-pid-";
    static final String GPU = "gpu-pid-";
    /** Processes a sample keeps per per-process series (the largest). */
    static final int PER_SAMPLE = 16;

    /** One chart: its id, title, unit, and its values oldest first (NaN where there was nothing to measure). */
    record Series(String id, String title, String unit, List<Double> values) {
        double latest() {
            return values.isEmpty() ? Double.NaN : values.get(values.size() - 1);
        }
    }

    private final MemoryManager os;
    private final VidMm vidmm;
    private final List<Iommu> units;
    /** The adapters there are now (they come and go with their configurations); replaced whole by SCR. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<GpuAdapter> gpus = List.of();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "console-samples");
        t.setDaemon(true);
        return t;
    });
    /** Each sample: series id -> value, in the order the charts are drawn. Guarded by itself. */
    private final ArrayDeque<Map<String, Double>> samples = new ArrayDeque<>();
    private final Map<String, String[]> titles = new LinkedHashMap<>();
    private long taken;
    private Counters last;

    /** The cumulative counters a sample is the difference of. */
    private record Counters(PagingInfo paging, List<IommuStats> units, Map<EngineNode, long[]> engines,
                            long deviceTlbHits, long deviceTlbLookups) {
    }

    @Activate
    public Samples(@Reference MemoryManager os, @Reference VidMm vidmm,
                   @Reference(cardinality = ReferenceCardinality.AT_LEAST_ONE) List<Iommu> units) {
        this.os = os;
        this.vidmm = vidmm;
        List<Iommu> sorted = new ArrayList<>(units);
        sorted.sort(java.util.Comparator.comparingInt(Iommu::unit));
        this.units = List.copyOf(sorted);
        titles.put("pages-out", new String[] {"pages out", "pages/s"});
        titles.put("pages-in", new String[] {"pages in", "pages/s"});
        titles.put("page-requests", new String[] {"page requests (all units)", "requests/s"});
        titles.put("device-tlb-hit-rate", new String[] {"device-TLB hit rate (all GPUs, asked first)", "%"});
        for (Iommu u : this.units) {
            titles.put("iotlb-hit-rate-" + u.unit(), new String[] {"IOTLB hit rate, unit " + u.unit(), "%"});
        }
        titles.put("commit-charge", new String[] {"commit charge", "pages"});
        for (EngineNode node : EngineNode.values()) {
            String n = node.name().toLowerCase(java.util.Locale.ROOT);
            titles.put("submissions-" + n, new String[] {"submissions, " + node, "per s"});
            titles.put("fences-" + n, new String[] {"fences completed, " + node, "per s"});
        }
        timer.scheduleAtFixedRate(this::sample, 0, 1, TimeUnit.SECONDS);
    }

    @Deactivate
    void stop() {
        timer.shutdownNow();
    }

    private void sample() {
        try {
            Counters now = counters();
            Map<String, Double> s = new LinkedHashMap<>();
            Counters before = last == null ? now : last;
            s.put("pages-out", (double) Math.max(0, now.paging().pagesOut() - before.paging().pagesOut()));
            s.put("pages-in", (double) Math.max(0, now.paging().pagesIn() - before.paging().pagesIn()));
            long requests = 0;
            for (int i = 0; i < units.size(); i++) {
                IommuStats a = before.units().get(i);
                IommuStats b = now.units().get(i);
                requests += Math.max(0, b.pageRequests() - a.pageRequests());
                long translations = b.translations() - a.translations();
                s.put("iotlb-hit-rate-" + units.get(i).unit(), translations <= 0 ? Double.NaN
                        : 100.0 * (b.iotlbHits() - a.iotlbHits()) / translations);
            }
            s.put("page-requests", (double) requests);
            long lookups = now.deviceTlbLookups() - before.deviceTlbLookups();
            s.put("device-tlb-hit-rate", lookups <= 0 ? Double.NaN
                    : 100.0 * (now.deviceTlbHits() - before.deviceTlbHits()) / lookups);
            s.put("commit-charge", (double) now.paging().commitCharge());
            perProcess(s);
            for (EngineNode node : EngineNode.values()) {
                String n = node.name().toLowerCase(java.util.Locale.ROOT);
                long[] a = before.engines().get(node);
                long[] b = now.engines().get(node);
                s.put("submissions-" + n, (double) Math.max(0, b[0] - a[0]));
                s.put("fences-" + n, (double) Math.max(0, b[1] - a[1]));
            }
            last = now;
            synchronized (samples) {
                samples.addLast(s);
                if (samples.size() > KEEP) {
                    samples.removeFirst();
                }
                taken++;
            }
        } catch (RuntimeException e) {
            // a service going away mid-sample: the next one tries again
        }
    }

    /**
     * The commit charge of the {@link #PER_SAMPLE} processes with the largest, and the GPU usage (as a
     * share of budget) of the {@link #PER_SAMPLE} GPU processes with the largest: a sample of a machine
     * with thousands of processes stays small.
     */
    private void perProcess(Map<String, Double> s) {
        os.processes().stream().sorted(java.util.Comparator.comparingLong((os.memmgr.ProcessInfo p) -> p.commitCharge())
                .reversed()).limit(PER_SAMPLE).forEach(p -> s.put(COMMIT + p.pid(), (double) p.commitCharge()));
        Map<Integer, Double> shares = new java.util.HashMap<>();
        for (var p : vidmm.processes()) {
            try {
                var info = vidmm.videoMemoryInfo(p.pid());
                if (info.budget() > 0) {
                    shares.put(p.pid(), 100.0 * info.currentUsage() / info.budget());
                }
            } catch (RuntimeException gone) {
                // the process exited between the two calls
            }
        }
        shares.entrySet().stream().sorted(Map.Entry.<Integer, Double>comparingByValue().reversed()).limit(PER_SAMPLE)
                .forEach(e -> s.put(GPU + e.getKey(), e.getValue()));
    }

    private Counters counters() {
        List<IommuStats> stats = new ArrayList<>();
        units.forEach(u -> stats.add(u.stats()));
        Map<EngineNode, long[]> engines = new EnumMap<>(EngineNode.class);
        for (EngineNode node : EngineNode.values()) {
            engines.put(node, new long[2]);
        }
        for (ContextInfo c : vidmm.contexts()) {
            long[] e = engines.get(c.node());
            e[0] += c.submittedFence();
            e[1] += c.completedFence();
        }
        long hits = 0;
        long lookups = 0;
        for (GpuAdapter gpu : gpus) {
            for (int g = 0; g < gpu.physicalGpus(); g++) {
                gpu.hw.DeviceTlbStats t = gpu.deviceTlb(g);
                hits += t.hits();
                lookups += t.hits() + t.misses();
            }
        }
        return new Counters(os.paging(), stats, engines, hits, lookups);
    }

    /** How many samples were taken since the start (the page shows it, so that a refresh can be seen). */
    long taken() {
        synchronized (samples) {
            return taken;
        }
    }

    /**
     * The per-process series whose ids start with {@code prefix} ({@link #COMMIT} or {@link #GPU}), by pid,
     * over the samples kept (NaN where the process did not exist).
     */
    Map<Integer, List<Double>> perProcess(String prefix) {
        List<Map<String, Double>> copy;
        synchronized (samples) {
            copy = new ArrayList<>(samples);
        }
        Map<Integer, List<Double>> out = new java.util.TreeMap<>();
        for (int i = 0; i < copy.size(); i++) {
            for (Map.Entry<String, Double> e : copy.get(i).entrySet()) {
                if (e.getKey().startsWith(prefix)) {
                    int pid = Integer.parseInt(e.getKey().substring(prefix.length()));
                    List<Double> values = out.computeIfAbsent(pid, k -> new ArrayList<>());
                    while (values.size() < i) {
                        values.add(Double.NaN);
                    }
                    values.add(e.getValue());
                }
            }
        }
        out.values().forEach(values -> {
            while (values.size() < copy.size()) {
                values.add(Double.NaN);
            }
        });
        return out;
    }

    /** Every series, over the samples kept. */
    List<Series> series() {
        List<Map<String, Double>> copy;
        synchronized (samples) {
            copy = new ArrayList<>(samples);
        }
        List<Series> out = new ArrayList<>();
        titles.forEach((id, t) -> {
            List<Double> values = new ArrayList<>(copy.size());
            copy.forEach(s -> values.add(s.getOrDefault(id, Double.NaN)));
            out.add(new Series(id, t[0], t[1], values));
        });
        return out;
    }
}
