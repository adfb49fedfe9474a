package console.internal;

import java.util.ArrayList;
import java.util.List;

import gpu.hw.EngineType;
import gpu.hw.GpuAdapter;
import iommu.hw.FaultRecord;
import iommu.hw.Iommu;
import iommu.hw.IommuStats;
import os.memmgr.MemoryManager;
import os.memmgr.ProcessInfo;
import vidmm.AdapterStatus;
import vidmm.ApertureMapping;
import vidmm.ContextInfo;
import vidmm.DriverBinding;
import vidmm.VidMm;

/** The HTML of the model's page: what the machine is doing now, read from its services. */
final class ModelPage {
    private final MemoryManager os;
    private final VidMm vidmm;
    private final List<Iommu> units;
    private final List<GpuAdapter> gpus;
    private final Samples samples;

    /** {@code units} and {@code gpus} in the order of their index. */
    ModelPage(MemoryManager os, VidMm vidmm, List<Iommu> units, List<GpuAdapter> gpus, Samples samples) {
        this.os = os;
        this.vidmm = vidmm;
        this.units = units;
        this.gpus = gpus;
        this.samples = samples;
    }

    static String escape(Object value) {
        String s = String.valueOf(value);
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** A cell whose text is HTML already (a link). */
    record Html(String html) {
    }

    private static void table(StringBuilder b, String id, String caption, List<String> head, List<List<Object>> rows) {
        b.append("<h2>").append(escape(caption)).append("</h2>\n<table id=\"").append(id)
                .append("\" class=\"tablesorter nicetable\"><thead><tr>");
        head.forEach(h -> b.append("<th>").append(escape(h)).append("</th>"));
        b.append("</tr></thead><tbody>\n");
        if (rows.isEmpty()) {
            b.append("<tr><td colspan=\"").append(head.size()).append("\">none</td></tr>\n");
        }
        for (List<Object> row : rows) {
            b.append("<tr>");
            row.forEach(cell -> b.append("<td>").append(cell instanceof Html h ? h.html() : escape(cell)).append("</td>"));
            b.append("</tr>\n");
        }
        b.append("</tbody></table>\n");
    }

    /**
     * The page; with {@code pid}, that process's address-space map under the process list, and with
     * {@code va} too, the page walk of that address.
     */
    String html(Integer pid, Long va) {
        StringBuilder b = new StringBuilder("<div id=\"iommu-model\">\n");
        List<List<Object>> adapters = new ArrayList<>();
        for (GpuAdapter gpu : gpus) {
            AdapterStatus status = vidmm.adapter(gpu.index());
            var pci = gpu.identity();
            adapters.add(List.of(gpu.index(), String.format("%04x:%04x rev %d", pci.vendorId(), pci.deviceId(), pci.revision()),
                    unitsOf(gpu), status.state(), status.model() == null ? "-" : status.model(), engines(gpu),
                    status.reason() == null ? "" : status.reason()));
        }
        table(b, "adapters", "Adapters", List.of("adapter", "PCI id", "IOMMU unit", "state", "addressing", "engines", "why"),
                adapters);
        table(b, "drivers", "Kernel-mode drivers", List.of("adapter", "name", "service id", "score", "ranking", "state"),
                vidmm.drivers().stream().map(d -> List.<Object>of(d.adapter(), d.name(), d.serviceId(), d.score(),
                        d.ranking(), driverState(d))).toList());
        table(b, "contexts", "Contexts (queued work: fences submitted and not completed)", List.of("context", "adapter",
                "device", "pid", "node", "GPU", "submitted", "completed", "queued", "status"),
                vidmm.contexts().stream().map((ContextInfo c) -> List.<Object>of(String.format("0x%x", c.handle()),
                        c.adapter(), String.format("0x%x", c.device()), c.pid(), c.node(), c.gpu(), c.submittedFence(),
                        c.completedFence(), c.submittedFence() - c.completedFence(), c.status())).toList());
        table(b, "processes", "Processes", List.of("pid", "name", "PASIDs (unit: PASID)", "committed", "commit charge",
                "resident", "paged out"), os.processes().stream().map((ProcessInfo p) -> List.<Object>of(
                new Html("<a id=\"pid-" + p.pid() + "\" href=\"?pid=" + p.pid() + "\">" + p.pid() + "</a>"), p.name(),
                pasids(p), p.committedPages(), p.commitCharge(), p.residentPages(), p.pagedOutPages())).toList());
        if (pid != null) {
            b.append(ProcessMap.html(os, units, pid, va));
        }
        List<List<Object>> stats = new ArrayList<>();
        List<Object[]> faults = new ArrayList<>();
        for (Iommu unit : units) {
            IommuStats s = unit.stats();
            stats.add(List.of(unit.unit(), s.translations(), s.iotlbHits(), s.iotlbMisses(), s.translations() == 0 ? "-"
                    : String.format("%.1f%%", 100.0 * s.iotlbHits() / s.translations()), s.faults(), s.pageRequests(),
                    s.invalidations(), s.iotlbEntries()));
            unit.faults().forEach(f -> faults.add(new Object[] {unit.unit(), f}));
        }
        List<List<Object>> tlbs = new ArrayList<>();
        for (GpuAdapter gpu : gpus) {
            for (int g = 0; g < gpu.physicalGpus(); g++) {
                gpu.hw.DeviceTlbStats t = gpu.deviceTlb(g);
                long lookups = t.hits() + t.misses();
                tlbs.add(List.of(gpu.index(), g, gpu.iommuUnit(g), t.enabled() ? "on" : "off", lookups, t.hits(), t.misses(),
                        lookups == 0 ? "-" : String.format("%.1f%%", 100.0 * t.hits() / lookups), t.translationRequests(),
                        t.invalidations(), t.entries()));
            }
        }
        table(b, "device-tlb", "GPU device TLBs (ATS): asked first; only their misses reach the IOMMU unit",
                List.of("adapter", "GPU", "unit", "ATS", "lookups", "hits", "misses", "hit rate", "translation requests",
                        "invalidations", "entries"), tlbs);
        table(b, "iotlb", "IOMMU units: the GPUs' device-TLB misses (translation requests) and untranslated requests",
                List.of("unit", "translations", "IOTLB hits", "misses", "hit rate", "faults",
                "page requests", "invalidations", "IOTLB entries"), stats);
        table(b, "faults", "IOMMU fault logs (latest 20)", List.of("unit", "#", "fault"),
                faults.subList(Math.max(0, faults.size() - 20), faults.size()).stream()
                        .map(f -> List.<Object>of(f[0], ((FaultRecord) f[1]).sequence(), ((FaultRecord) f[1]).fault())).toList());
        b.append(Charts.html(samples)).append(Charts.REFRESH);
        for (GpuAdapter gpu : gpus) {
            display(b, gpu);
        }
        b.append("<script>setInterval(function () { document.querySelectorAll('img.frame').forEach(function (img) {"
                + " img.src = img.src.split('?')[0] + '?t=' + Date.now(); }); }, 1000);</script>\n</div>\n");
        return b.toString();
    }

    /** An adapter's aperture and its sources, each with the frame it scans out now. */
    private void display(StringBuilder b, GpuAdapter gpu) {
        int a = gpu.index();
        var aperture = gpu.aperture();
        table(b, "aperture-" + a, String.format("Adapter %d: aperture (base 0x%x, %d pages of 4 KiB; unmapped pages read the"
                + " dummy frame %d)", a, aperture.baseAddress(), aperture.pages(), aperture.dummyFrame()), List.of("source",
                "allocation", "pid", "first page", "pages"), vidmm.apertureMappings().stream().filter(m -> m.adapter() == a).map((ApertureMapping m) ->
                List.<Object>of(m.source(), String.format("0x%x", m.allocation()), m.pid(), m.firstPage(), m.pages())).toList());
        var modes = gpu.displayModes();
        b.append("<h2>Adapter ").append(a).append(": display</h2>\n");
        if (modes.isEmpty()) {
            b.append("<p>no video present source (render only)</p>\n");
        }
        for (int i = 0; i < modes.size(); i++) {
            b.append("<p>source ").append(i).append(": ").append(escape(modes.get(i))).append("<br>")
                    .append("<img class=\"frame\" id=\"frame-").append(a).append('-').append(i)
                    .append("\" src=\"iommu-model/frame/").append(a).append('/').append(i)
                    .append(".png\" alt=\"adapter ").append(a).append(" source ").append(i).append("\" width=\"")
                    .append(modes.get(i).width() * 2)
                    .append("\" style=\"image-rendering: pixelated; border: 1px solid #888\"></p>\n");
        }
    }

    /** The IOMMU unit of each physical GPU of the adapter. */
    private static String unitsOf(GpuAdapter gpu) {
        StringBuilder units = new StringBuilder();
        for (int g = 0; g < gpu.physicalGpus(); g++) {
            units.append(g == 0 ? "" : ", ").append(gpu.iommuUnit(g));
        }
        return units.toString();
    }

    /** Each engine's state: RENDER 0 idle, COPY 0 busy, ... */
    private static String engines(GpuAdapter gpu) {
        StringBuilder e = new StringBuilder();
        for (EngineType type : EngineType.values()) {
            for (int i = 0; i < gpu.engineCount(type); i++) {
                e.append(e.length() == 0 ? "" : ", ").append(type).append(' ').append(i).append(' ')
                        .append(gpu.status(type, i).name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return e.toString();
    }

    /** "0: 1, 1: 3", or "-" when the process is bound to no unit. */
    private static String pasids(ProcessInfo p) {
        if (p.pasids().isEmpty()) {
            return "-";
        }
        StringBuilder s = new StringBuilder();
        p.pasids().forEach((unit, pasid) -> s.append(s.length() == 0 ? "" : ", ").append(unit).append(": ").append(pasid));
        return s.toString();
    }

    private static String driverState(DriverBinding d) {
        return d.attached() ? "attached" : d.refusal() != null ? "refused: " + d.refusal() : "standby";
    }
}
