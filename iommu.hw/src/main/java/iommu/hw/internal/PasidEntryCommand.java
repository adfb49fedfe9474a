package iommu.hw.internal;

import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import iommu.hw.Pasid;
import iommu.hw.Iommu;
import shell.support.Args;

/**
 * {@code iommu:pasid-entry PASID [UNIT]}: what leads the PASID's requests to their page table, as memory
 * holds it, raw and decoded (VT-d: the PASID-table entry; AMD-Vi: the GCR3 table entry). A component of
 * its own: a Java method cannot be named with a hyphen, so Gogo calls {@code _main} with the command's
 * name first.
 */
@Component(service = PasidEntryCommand.class, property = {
        "osgi.command.scope=iommu",
        "osgi.command.function=pasid-entry"})
public final class PasidEntryCommand {
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<Iommu> units;

    /** Without a PASID: what to type. */
    @Descriptor("without a PASID: says what to type")
    public String _main(@Descriptor("the command") String command) {
        throw new IllegalArgumentException("usage: iommu:pasid-entry PASID [UNIT]: a PASID's entry, raw and decoded");
    }

    @Descriptor("a PASID's entry on unit 0: as memory holds it, in hex, and each field decoded")
    public String _main(@Descriptor("the command") String command, @Descriptor("PASID, as iommu:bind printed it") String pasid) {
        return _main(command, pasid, "0");
    }

    @Descriptor("a PASID's entry on a unit: as memory holds it, in hex, and each field decoded")
    public String _main(@Descriptor("the command") String command, @Descriptor("PASID, as iommu:bind printed it") String pasid,
                        @Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        Iommu iommu = IommuCommands.find(units, unit);
        int id = Args.id("PASID", pasid);
        if (id > Pasid.MAX) {
            throw new IllegalArgumentException("PASID " + id + " does not fit 20 bits (0.." + Pasid.MAX + ")");
        }
        return iommu.describePasid(id);
    }
}
