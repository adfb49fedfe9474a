package console.internal;

import java.util.List;

import gpu.hw.GpuAdapter;
import iommu.hw.FaultRecord;
import iommu.hw.Iommu;
import iommu.hw.IommuStats;
import os.memmgr.MemoryManager;
import os.memmgr.ProcessInfo;
import vidmm.AdapterStatus;
import vidmm.ApertureMapping;
import vidmm.DriverBinding;
import vidmm.VidMm;

/** The HTML of the model's page: what the machine is doing now, read from its services. */
final class ModelPage {
    private final MemoryManager os;
    private final VidMm vidmm;
    private final Iommu iommu;
    private final GpuAdapter gpu;

    ModelPage(MemoryManager os, VidMm vidmm, Iommu iommu, GpuAdapter gpu) {
        this.os = os;
        this.vidmm = vidmm;
        this.iommu = iommu;
        this.gpu = gpu;
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
            row.forEach(cell -> b.append("<td>").append(escape(cell)).append("</td>"));
            b.append("</tr>\n");
        }
        b.append("</tbody></table>\n");
    }

    String html() {
        StringBuilder b = new StringBuilder("<div id=\"iommu-model\">\n");
        AdapterStatus status = vidmm.adapter();
        var pci = gpu.identity();
        table(b, "adapters", "Adapters", List.of("adapter", "PCI id", "state", "addressing", "why"), List.of(List.of(0,
                String.format("%04x:%04x rev %d", pci.vendorId(), pci.deviceId(), pci.revision()), status.state(),
                status.model() == null ? "-" : status.model(), status.reason() == null ? "" : status.reason())));
        table(b, "drivers", "Kernel-mode drivers (adapter 0)", List.of("name", "service id", "score", "ranking", "state"),
                vidmm.drivers().stream().map(d -> List.<Object>of(d.name(), d.serviceId(), d.score(), d.ranking(),
                        driverState(d))).toList());
        table(b, "processes", "Processes", List.of("pid", "name", "PASID", "committed", "commit charge", "resident",
                "paged out"), os.processes().stream().map((ProcessInfo p) -> List.<Object>of(p.pid(), p.name(),
                p.pasid() == 0 ? "-" : p.pasid(), p.committedPages(), p.commitCharge(), p.residentPages(),
                p.pagedOutPages())).toList());
        IommuStats s = iommu.stats();
        table(b, "iotlb", "IOMMU", List.of("translations", "IOTLB hits", "misses", "hit rate", "faults", "page requests",
                "invalidations", "IOTLB entries"), List.of(List.of(s.translations(), s.iotlbHits(), s.iotlbMisses(),
                s.translations() == 0 ? "-" : String.format("%.1f%%", 100.0 * s.iotlbHits() / s.translations()), s.faults(),
                s.pageRequests(), s.invalidations(), s.iotlbEntries())));
        List<FaultRecord> faults = iommu.faults();
        table(b, "faults", "IOMMU fault log (latest 20)", List.of("#", "fault"),
                faults.subList(Math.max(0, faults.size() - 20), faults.size()).stream()
                        .map(f -> List.<Object>of(f.sequence(), f.fault())).toList());
        var aperture = gpu.aperture();
        table(b, "aperture", String.format("Aperture (base 0x%x, %d pages of 4 KiB; unmapped pages read the dummy frame %d)",
                aperture.baseAddress(), aperture.pages(), aperture.dummyFrame()), List.of("source", "allocation", "pid", "first page",
                "pages"), vidmm.apertureMappings().stream().map((ApertureMapping m) -> List.<Object>of(m.source(),
                String.format("0x%x", m.allocation()), m.pid(), m.firstPage(), m.pages())).toList());
        b.append("<h2>Display</h2>\n");
        var modes = gpu.displayModes();
        for (int i = 0; i < modes.size(); i++) {
            b.append("<p>source ").append(i).append(": ").append(escape(modes.get(i))).append("<br>")
                    .append("<img class=\"frame\" id=\"frame-").append(i).append("\" src=\"iommu-model/frame/").append(i)
                    .append(".png\" alt=\"source ").append(i).append("\" width=\"").append(modes.get(i).width() * 2)
                    .append("\" style=\"image-rendering: pixelated; border: 1px solid #888\"></p>\n");
        }
        b.append("<script>setInterval(function () { document.querySelectorAll('img.frame').forEach(function (img) {"
                + " img.src = img.src.split('?')[0] + '?t=' + Date.now(); }); }, 1000);</script>\n</div>\n");
        return b.toString();
    }

    private static String driverState(DriverBinding d) {
        return d.attached() ? "attached" : d.refusal() != null ? "refused: " + d.refusal() : "standby";
    }
}
