package iommu.hw.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import iommu.hw.Access;
import iommu.hw.DmaInitiator;
import iommu.hw.DmaResult;
import iommu.hw.Iommu;
import iommu.hw.IommuStats;
import iommu.hw.Translation;
import shell.support.Args;

/**
 * Gogo commands of the IOMMU hardware (scope {@code iommu}). Binding a process is in os.memmgr. Every
 * command takes an optional last argument, the unit, which defaults to 0.
 */
@Component(service = IommuCommands.class, property = {
        "osgi.command.scope=iommu",
        "osgi.command.function=units",
        "osgi.command.function=pasids",
        "osgi.command.function=translate",
        "osgi.command.function=walk",
        "osgi.command.function=read",
        "osgi.command.function=write",
        "osgi.command.function=stats",
        "osgi.command.function=faults"})
public final class IommuCommands {
    /** Largest transfer the shell prints or sends. */
    static final int MAX_SHELL_BYTES = 1 << 20;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<Iommu> units;
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<DmaInitiator> ports;

    private Iommu iommu(String unit) {
        return find(units, unit);
    }

    /** The unit named by the shell's UNIT argument. @throws IllegalArgumentException naming it if there is none */
    static Iommu find(List<Iommu> units, String unit) {
        int index = Args.id("UNIT", unit);
        for (Iommu u : units) {
            if (u.unit() == index) {
                return u;
            }
        }
        throw new IllegalArgumentException("UNIT " + index + " does not exist; iommu:units lists the units");
    }

    private DmaInitiator dma(String unit) {
        int index = iommu(unit).unit();
        return ports.stream().filter(p -> p.unit() == index).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("UNIT " + index + " has no DMA port"));
    }

    @Descriptor("the IOMMU units: architecture, bound PASIDs, IOTLB entries, translations and faults of each")
    public String units() {
        List<Iommu> sorted = new ArrayList<>(units);
        sorted.sort(Comparator.comparingInt(Iommu::unit));
        if (sorted.isEmpty()) {
            return "no IOMMU unit is configured (factory PID " + IommuConfig.PID + ")";
        }
        StringBuilder b = new StringBuilder("unit  arch   PASIDs  IOTLB entries  translations  faults");
        for (Iommu u : sorted) {
            IommuStats s = u.stats();
            b.append(String.format("%n%-5d %-6s %-7d %-14d %-13d %d", u.unit(), u.architecture(), u.boundPasids().size(), s.iotlbEntries(),
                    s.translations(), s.faults()));
        }
        // the unit cannot see a device's own cache: name where its hits are
        return b.append("\ntranslations: untranslated requests and the GPUs' device-TLB misses (ATS translation"
                + " requests); a GPU asks its device TLB first, and gpu:atc shows its hits and misses").toString();
    }

    @Descriptor("bound PASIDs of unit 0 and their page-table roots")
    public String pasids() {
        return pasids("0");
    }

    /** Lists bound PASIDs with their page-table roots. */
    @Descriptor("bound PASIDs of a unit and their page-table roots")
    public String pasids(@Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        Map<Integer, Long> bound = iommu(unit).boundPasids();
        if (bound.isEmpty()) {
            return "no PASID is bound";
        }
        return "PASID    page-table root\n" + bound.entrySet().stream()
                .map(e -> String.format("%-8d 0x%x", e.getKey(), e.getValue()))
                .collect(Collectors.joining("\n"));
    }

    /** iommu:translate PASID VA r|w|x */
    @Descriptor("one IOMMU translation (with page requests), or the fault")
    public String translate(@Descriptor("PASID, as iommu:bind printed it") String pasid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("r, w or x") String access) {
        return translate(pasid, va, access, "0");
    }

    @Descriptor("one translation by an IOMMU unit (with page requests), or the fault")
    public String translate(@Descriptor("PASID, as iommu:bind printed it") String pasid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("r, w or x") String access,
                            @Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        Iommu iommu = iommu(unit);
        int p = Args.id("PASID", pasid);
        long v = Args.address("VA", va);
        Translation t = iommu.translate(p, v, Access.parse(access));
        if (t instanceof Translation.Mapping m) {
            return String.format("VA 0x%x -> PA 0x%x (page %s)", v, m.physicalAddress(v), m);
        }
        return t.toString();
    }

    /** iommu:walk PASID VA [UNIT] */
    @Descriptor("a page walk explained level by level (each entry's address, raw value and bits), where it stopped, and whether the IOTLB holds it; changes nothing")
    public String walk(@Descriptor("PASID, as iommu:bind printed it") String pasid, @Descriptor("virtual address, decimal or 0x hex") String va) {
        return walk(pasid, va, "0");
    }

    @Descriptor("a page walk by an IOMMU unit explained level by level, where it stopped, and whether the IOTLB holds it; changes nothing")
    public String walk(@Descriptor("PASID, as iommu:bind printed it") String pasid, @Descriptor("virtual address, decimal or 0x hex") String va,
                       @Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        Iommu iommu = iommu(unit);
        return iommu.walk(Args.id("PASID", pasid), Args.address("VA", va)).describe();
    }

    /** iommu:read PASID VA LEN: a DMA read by the test initiator. */
    @Descriptor("DMA read by the bus-master test device; prints a hex dump")
    public String read(@Descriptor("PASID, as iommu:bind printed it") String pasid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("bytes, decimal or 0x hex (at most 1M)") String length) {
        return read(pasid, va, length, "0");
    }

    @Descriptor("DMA read by the bus-master test device behind a unit; prints a hex dump")
    public String read(@Descriptor("PASID, as iommu:bind printed it") String pasid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("bytes, decimal or 0x hex (at most 1M)") String length,
                       @Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        DmaInitiator dma = dma(unit);
        long at = Args.address("VA", va);
        byte[] buffer = new byte[(int) Args.size("LEN", length, MAX_SHELL_BYTES)];
        DmaResult r = dma.read(Args.id("PASID", pasid), at, buffer);
        if (!r.completed()) {
            return "DMA read stopped after " + r.bytesTransferred() + " bytes: " + r.fault();
        }
        return Args.hexDump(at, buffer).stripTrailing();
    }

    /** iommu:write PASID VA DATA: a DMA write by the test initiator (DATA is text, or hex:...). */
    @Descriptor("DMA write by the bus-master test device")
    public String write(@Descriptor("PASID, as iommu:bind printed it") String pasid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("text, or raw bytes as hex:0a0b0c") String data) {
        return write(pasid, va, data, "0");
    }

    @Descriptor("DMA write by the bus-master test device behind a unit")
    public String write(@Descriptor("PASID, as iommu:bind printed it") String pasid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("text, or raw bytes as hex:0a0b0c") String data,
                        @Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        DmaInitiator dma = dma(unit);
        byte[] bytes = Args.data("DATA", data);
        DmaResult r = dma.write(Args.id("PASID", pasid), Args.address("VA", va), bytes);
        if (!r.completed()) {
            return "DMA write stopped after " + r.bytesTransferred() + " bytes: " + r.fault();
        }
        return "wrote " + bytes.length + " bytes";
    }

    @Descriptor("translations, IOTLB hits and misses, faults, page requests, invalidations, IOTLB entries")
    public String stats() {
        return stats("0");
    }

    @Descriptor("a unit's translations, IOTLB hits and misses, faults, page requests, invalidations, IOTLB entries")
    public String stats(@Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        IommuStats s = iommu(unit).stats();
        return String.format("translations   %d%niotlb hits     %d%niotlb misses   %d%nfaults         %d%n"
                        + "page requests  %d (%d failed)%ninvalidations  %d%niotlb entries  %d",
                s.translations(), s.iotlbHits(), s.iotlbMisses(), s.faults(), s.pageRequests(),
                s.pageRequestsFailed(), s.invalidations(), s.iotlbEntries());
    }

    @Descriptor("the IOMMU fault log (most recent 256)")
    public String faults() {
        return faults("0");
    }

    @Descriptor("a unit's fault log (most recent 256)")
    public String faults(@Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        var records = iommu(unit).faults();
        if (records.isEmpty()) {
            return "no faults";
        }
        return records.stream().map(Object::toString).collect(Collectors.joining("\n"));
    }
}
