package gpu.hw.internal;

import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import gpu.hw.EngineType;
import gpu.hw.GpuAdapter;
import gpu.hw.GpuStats;

/** {@code gpu:list} and {@code gpu:info [ADAPTER]}: the adapters, and one adapter's engines and counters. */
@Component(service = GpuCommands.class, property = {"osgi.command.scope=gpu", "osgi.command.function=info",
        "osgi.command.function=list", "osgi.command.function=atc"})
public final class GpuCommands {
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<GpuAdapter> adapters;

    @Descriptor("the adapters: index, PCI identity, IOMMU unit, display sources, attached driver")
    public String list() {
        List<GpuAdapter> list = Adapters.sorted(adapters);
        if (list.isEmpty()) {
            return "no adapter is configured (factory PID " + GpuConfig.PID + ")";
        }
        StringBuilder b = new StringBuilder(String.format("%-8s %-21s %-11s %-8s %s", "ADAPTER", "PCI", "IOMMU UNIT",
                "SOURCES", "DRIVER"));
        for (GpuAdapter a : list) {
            String driver = a.attachedDriver();
            StringBuilder units = new StringBuilder().append(a.iommuUnit(0));
            for (int g = 1; g < a.physicalGpus(); g++) {
                units.append('+').append(a.iommuUnit(g));
            }
            b.append(String.format("%n%-8d %-21s %-11s %-8s %s", a.index(), a.identity(), units,
                    a.displayModes().isEmpty() ? "none" : Integer.toString(a.displayModes().size()),
                    driver == null ? "(none)" : driver));
        }
        return b.toString();
    }

    @Descriptor("adapter 0's PCI identity, engine states, submissions and bytes moved")
    public String info() {
        return info("0");
    }

    @Descriptor("an adapter's PCI identity, engine states, submissions and bytes moved")
    public String info(@Descriptor("adapter index, as gpu:list lists it") String adapter) {
        GpuAdapter gpu = Adapters.find(adapters, adapter);
        StringBuilder b = new StringBuilder("adapter  ").append(gpu.index()).append("  ").append(gpu.identity())
                .append("  IOMMU unit ").append(gpu.iommuUnit()).append('\n');
        for (EngineType e : EngineType.values()) {
            for (int i = 0; i < gpu.engineCount(e); i++) {
                b.append(String.format("engine   %-7s %d %s%n", e, i, gpu.status(e, i)));
            }
        }
        GpuStats s = gpu.stats();
        return b.append(String.format("submissions completed %d, faulted %d, dropped %d; engine resets %d%n"
                        + "bytes read %d, written %d", s.submissionsCompleted(), s.submissionsFaulted(),
                s.submissionsDropped(), s.engineResets(), s.bytesRead(), s.bytesWritten())).toString();
    }

    @Descriptor("adapter 0's device TLBs (ATS): entries, hits, misses, translation requests, invalidations, time-outs")
    public String atc() {
        return atc("0");
    }

    @Descriptor("an adapter's device TLB per physical GPU (ATS): entries, hits, misses, translation requests, invalidations, time-outs")
    public String atc(@Descriptor("adapter index, as gpu:list lists it") String adapter) {
        GpuAdapter gpu = Adapters.find(adapters, adapter);
        StringBuilder b = new StringBuilder("GPU  unit  ATS  entries  hits        misses      translation-requests  invalidations  time-outs");
        for (int g = 0; g < gpu.physicalGpus(); g++) {
            gpu.hw.DeviceTlbStats t = gpu.deviceTlb(g);
            b.append(String.format("%n%-4d %-5d %-4s %-8d %-11d %-11d %-21d %-14d %d%s", g, gpu.iommuUnit(g), t.enabled() ? "on" : "off",
                    t.entries(), t.hits(), t.misses(), t.translationRequests(), t.invalidations(), t.timeouts(),
                    t.blocked() ? "  (translated requests refused until an engine reset)" : ""));
        }
        return b.toString();
    }
}
