package workloads.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import gpu.hw.GpuAdapter;
import iommu.hw.Iommu;
import iommu.hw.IommuStats;
import os.memmgr.MemoryManager;
import umd.api.UserModeDriver;

/** {@code scenario:list} and {@code scenario:run NAME [key=value ...]}. */
@Component(service = ScenarioCommands.class, property = {"osgi.command.scope=scenario",
        "osgi.command.function=list", "osgi.command.function=run"})
public final class ScenarioCommands {
    private static final List<Scenario> SCENARIOS = List.of(new GradientScenario(), new SharingScenario(),
            new TiledScenario(), new StressScenario(), new OversubscribeScenario(), new HybridScenario());

    private final Machine machine;
    /** Every adapter, for scenarios that use more than adapter 0. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<GpuAdapter> adapters = List.of();

    @Activate
    public ScenarioCommands(@Reference MemoryManager os, @Reference UserModeDriver umd, @Reference(target = "(adapter.index=0)") GpuAdapter display,
                            @Reference(target = "(iommu.unit=0)") Iommu iommu) {
        this.machine = new Machine(os, umd, display, iommu, () -> adapters);
    }

    @Descriptor("lists the workloads")
    public String list() {
        return SCENARIOS.stream().map(s -> String.format("%-9s %s", s.name(), s.description()))
                .collect(Collectors.joining("\n"));
    }

    @Descriptor("runs a workload and prints its report")
    public String run(@Descriptor("scenario name (scenario:list)") String name) throws Exception {
        return runWith(name);
    }

    @Descriptor("runs a workload and prints its report")
    public String run(@Descriptor("scenario name (scenario:list)") String name, @Descriptor("option key=value: out=FILE.png, keep=true, or the scenario's own (see scenario:list)") String o1) throws Exception {
        return runWith(name, o1);
    }

    @Descriptor("runs a workload and prints its report")
    public String run(@Descriptor("scenario name (scenario:list)") String name, @Descriptor("option key=value: out=FILE.png, keep=true, or the scenario's own (see scenario:list)") String o1, @Descriptor("option key=value") String o2) throws Exception {
        return runWith(name, o1, o2);
    }

    @Descriptor("runs a workload and prints its report")
    public String run(@Descriptor("scenario name (scenario:list)") String name, @Descriptor("option key=value: out=FILE.png, keep=true, or the scenario's own (see scenario:list)") String o1, @Descriptor("option key=value") String o2, @Descriptor("option key=value") String o3) throws Exception {
        return runWith(name, o1, o2, o3);
    }

    private String runWith(String name, String... options) throws Exception {
        Scenario scenario = SCENARIOS.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("no scenario '" + name + "'; scenario:list shows them"));
        Map<String, String> opts = new LinkedHashMap<>();
        for (String o : options) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("options are key=value, not '" + o + "'");
            }
            String key = o.substring(0, eq);
            if (!scenario.options().contains(key)) {
                throw new IllegalArgumentException("scenario " + name + " has no option '" + key + "'; its options: "
                        + scenario.options().stream().sorted().collect(Collectors.joining(", ")));
            }
            opts.put(key, o.substring(eq + 1));
        }
        Report report = new Report(machine.os().frames());
        IommuStats before = machine.iommu().stats();
        long[] tlbBefore = deviceTlbs();
        long started = System.nanoTime();
        scenario.run(machine, opts, report);
        IommuStats after = machine.iommu().stats();
        long[] tlbAfter = deviceTlbs();
        long translations = after.translations() - before.translations();
        long hits = after.iotlbHits() - before.iotlbHits();
        long tlbHits = tlbAfter[0] - tlbBefore[0];
        long tlbLookups = tlbHits + tlbAfter[1] - tlbBefore[1];
        report.add(String.format("GPU device TLBs (asked first): %d lookups, hit rate %.1f%%; IOMMU (their misses): %d"
                        + " translations, IOTLB hit rate %.1f%%, %d faults, %d page requests; pages touched (most frames held"
                        + " at once) %d; %d ms", tlbLookups, tlbLookups == 0 ? 0.0 : 100.0 * tlbHits / tlbLookups, translations,
                translations == 0 ? 0.0 : 100.0 * hits / translations, after.faults() - before.faults(),
                after.pageRequests() - before.pageRequests(), report.peakFrames(), (System.nanoTime() - started) / 1_000_000));
        return scenario.name() + ":\n" + report;
    }

    /** Hits and misses of the device TLBs of every GPU behind IOMMU unit 0 (the unit the IOMMU figures are of). */
    private long[] deviceTlbs() {
        long[] counts = new long[2];
        for (GpuAdapter a : machine.adapters().get()) {
            for (int g = 0; g < a.physicalGpus(); g++) {
                if (a.iommuUnit(g) == 0) {
                    gpu.hw.DeviceTlbStats s = a.deviceTlb(g);
                    counts[0] += s.hits();
                    counts[1] += s.misses();
                }
            }
        }
        return counts;
    }
}
