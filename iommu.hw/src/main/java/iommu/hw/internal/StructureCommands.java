package iommu.hw.internal;

import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import iommu.hw.Iommu;

/**
 * Gogo commands that show a unit's own structures as memory holds them, decoded as its architecture
 * defines them (scope {@code iommu}): {@code iommu:context} (VT-d's root and context tables, AMD-Vi's
 * device table) and {@code iommu:queues} (the command and page request queues). {@code iommu:pasid-entry}
 * is {@link PasidEntryCommand} (a hyphenated name is a function of its own).
 */
@Component(service = StructureCommands.class, property = {
        "osgi.command.scope=iommu",
        "osgi.command.function=context",
        "osgi.command.function=queues"})
public final class StructureCommands {
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<Iommu> units;

    @Descriptor("unit 0's device table (VT-d: root table and context entries) as memory holds it")
    public String context() {
        return context("0");
    }

    @Descriptor("a unit's device table (VT-d: root table and context entries): each device's entry, raw and decoded")
    public String context(@Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        return IommuCommands.find(units, unit).describeDevices();
    }

    @Descriptor("unit 0's command and page request queues: registers, commands by type, waits, page groups answered, errors")
    public String queues() {
        return queues("0");
    }

    @Descriptor("a unit's command and page request queues: base, size, head and tail, commands by type, waits, page groups answered by response, overflows, errors")
    public String queues(@Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        return IommuCommands.find(units, unit).describeQueues();
    }
}
