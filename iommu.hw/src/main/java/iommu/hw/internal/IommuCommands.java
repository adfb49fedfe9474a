package iommu.hw.internal;

import java.util.Map;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import iommu.hw.Access;
import iommu.hw.DmaInitiator;
import iommu.hw.DmaResult;
import iommu.hw.Iommu;
import iommu.hw.IommuStats;
import iommu.hw.Translation;
import iommu.hw.shell.Args;

/** Gogo commands of the IOMMU hardware (scope {@code iommu}). Binding a process is in os.memmgr. */
@Component(service = IommuCommands.class, property = {
        "osgi.command.scope=iommu",
        "osgi.command.function=pasids",
        "osgi.command.function=translate",
        "osgi.command.function=read",
        "osgi.command.function=write",
        "osgi.command.function=stats",
        "osgi.command.function=faults"})
public final class IommuCommands {
    /** Largest transfer the shell prints or sends. */
    static final int MAX_SHELL_BYTES = 1 << 20;

    private final Iommu iommu;
    private final DmaInitiator dma;

    @Activate
    public IommuCommands(@Reference Iommu iommu, @Reference DmaInitiator dma) {
        this.iommu = iommu;
        this.dma = dma;
    }

    /** Lists bound PASIDs with their page-table roots. */
    @Descriptor("bound PASIDs and their page-table roots")
    public String pasids() {
        Map<Integer, Long> bound = iommu.boundPasids();
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
        int p = Args.id("PASID", pasid);
        long v = Args.address("VA", va);
        Translation t = iommu.translate(p, v, Access.parse(access));
        if (t instanceof Translation.Mapping m) {
            return String.format("VA 0x%x -> PA 0x%x (page %s)", v, m.physicalAddress(v), m);
        }
        return t.toString();
    }

    /** iommu:read PASID VA LEN: a DMA read by the test initiator. */
    @Descriptor("DMA read by the bus-master test device; prints a hex dump")
    public String read(@Descriptor("PASID, as iommu:bind printed it") String pasid, @Descriptor("virtual address, decimal or 0x hex") String va, @Descriptor("bytes, decimal or 0x hex (at most 1M)") String length) {
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
        byte[] bytes = Args.data("DATA", data);
        DmaResult r = dma.write(Args.id("PASID", pasid), Args.address("VA", va), bytes);
        if (!r.completed()) {
            return "DMA write stopped after " + r.bytesTransferred() + " bytes: " + r.fault();
        }
        return "wrote " + bytes.length + " bytes";
    }

    @Descriptor("translations, IOTLB hits and misses, faults, page requests, invalidations, IOTLB entries")
    public String stats() {
        IommuStats s = iommu.stats();
        return String.format("translations   %d%niotlb hits     %d%niotlb misses   %d%nfaults         %d%n"
                        + "page requests  %d (%d failed)%ninvalidations  %d%niotlb entries  %d",
                s.translations(), s.iotlbHits(), s.iotlbMisses(), s.faults(), s.pageRequests(),
                s.pageRequestsFailed(), s.invalidations(), s.iotlbEntries());
    }

    @Descriptor("the IOMMU fault log (most recent 256)")
    public String faults() {
        var records = iommu.faults();
        if (records.isEmpty()) {
            return "no faults";
        }
        return records.stream().map(Object::toString).collect(Collectors.joining("\n"));
    }
}
