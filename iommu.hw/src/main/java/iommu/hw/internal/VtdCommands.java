package iommu.hw.internal;

import java.util.List;
import java.util.Locale;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import iommu.hw.Iommu;
import iommu.hw.vtd.ContextEntry;
import iommu.hw.vtd.PageRequestDescriptor;
import iommu.hw.vtd.RequesterId;
import iommu.hw.vtd.VtdRegisters;

/**
 * Gogo commands that show a unit's VT-d structures as memory holds them (scope {@code iommu}):
 * {@code iommu:context} (the root table and each requester's context entry) and {@code iommu:queues}
 * (the invalidation queue's registers and what it processed). {@code iommu:pasid-entry} is
 * {@link PasidEntryCommand} (a hyphenated name is a function of its own).
 */
@Component(service = VtdCommands.class, property = {
        "osgi.command.scope=iommu",
        "osgi.command.function=context",
        "osgi.command.function=queues"})
public final class VtdCommands {
    /** A queue descriptor's bytes (IQH and IQT hold byte offsets; the shell prints indices). */
    private static final int INVALIDATION_DESCRIPTOR_BYTES = iommu.hw.vtd.Descriptor.BYTES;
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<Iommu> units;

    @Descriptor("unit 0's root table and the context entry of each device in its scope")
    public String context() {
        return context("0");
    }

    @Descriptor("a unit's root table and the context entry of each device in its scope (requester id, raw words, fields)")
    public String context(@Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        Iommu iommu = IommuCommands.find(units, unit);
        VtdRegisters r = iommu.registers();
        if (r.rootTable() < 0) {
            return "unit " + iommu.unit() + ": no root table is programmed (RTADDR): every request faults NO_CONTEXT";
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "unit %d: root table at 0x%x (scalable mode)", iommu.unit(),
                r.rootTable()));
        for (RequesterId rid : r.deviceScope()) {
            ContextEntry c = iommu.contextEntry(rid.value());
            b.append(String.format(Locale.ROOT, "%n%s  ", rid));
            if (c == null) {
                b.append("no usable context entry (root or context entry not present, PASIDs off, or a reserved bit)");
                continue;
            }
            long[] w = c.encode();
            b.append(String.format(Locale.ROOT, "0x%016x_%016x  P %d  FPD %d  DTE %d  PASIDE %d  PRE %d  PDTS %d (%d directory"
                            + " entries, PASIDs 0..%d)  PASIDDIRPTR 0x%x  RID_PASID %d", w[1], w[0], bit(c.present()),
                    bit(c.faultsOff()), bit(c.deviceTlb()), bit(c.pasidEnable()), bit(c.pageRequests()), c.directorySize(),
                    c.directoryEntries(), c.directoryEntries() * 64 - 1, c.directory(), c.ridPasid()));
        }
        return b.toString();
    }

    @Descriptor("unit 0's invalidation and page request queues: registers, descriptors by type, waits, page groups answered, errors")
    public String queues() {
        return queues("0");
    }

    @Descriptor("a unit's invalidation and page request queues: base, size, head and tail, descriptors by type, waits, page groups answered by response, overflows, errors")
    public String queues(@Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        Iommu iommu = IommuCommands.find(units, unit);
        VtdRegisters r = iommu.registers();
        VtdRegisters.QueueStats s = r.queueStats();
        StringBuilder b = new StringBuilder();
        if (r.invalidationQueue() < 0) {
            b.append("unit ").append(iommu.unit()).append(": no invalidation queue is programmed (IQA)");
        } else {
            b.append(String.format(Locale.ROOT, "unit %d invalidation queue at 0x%x: %d descriptors of 256 bits, head %d, tail %d"
                    + " (IQH 0x%x, IQT 0x%x)", iommu.unit(), r.invalidationQueue(), r.queueEntries(),
                    r.invalidationQueueHead() / INVALIDATION_DESCRIPTOR_BYTES, r.invalidationQueueTail() / INVALIDATION_DESCRIPTOR_BYTES,
                    r.invalidationQueueHead(), r.invalidationQueueTail()));
        }
        b.append(String.format(Locale.ROOT, "%nprocessed   context-cache %d, PASID-cache %d, PASID-based IOTLB %d,"
                        + " PASID-based device-TLB %d, page group responses %d%nwaits       %d completed%n"
                        + "time-outs   %d device-TLB invalidations not answered in time%nerrors      %d%s",
                s.contextCache(), s.pasidCache(), s.iotlb(), s.deviceTlb(), s.groupResponses(), s.waits(),
                s.deviceTlbTimeouts(), s.errors(),
                r.queueError() == null ? "" : " (stopped: " + r.queueError() + ")"));
        if (r.pageRequestQueue() < 0) {
            b.append(System.lineSeparator()).append("no page request queue is programmed (PQA)");
        } else {
            b.append(String.format(Locale.ROOT, "%npage request queue at 0x%x: %d descriptors, head %d, tail %d (PQH 0x%x, PQT 0x%x)%n"
                            + "page requests %d queued; page groups answered: success %d, invalid request %d, response failure %d;"
                            + " overflows %d (the device retried)", r.pageRequestQueue(), r.pageRequestQueueEntries(),
                    r.pageRequestQueueHead() / PageRequestDescriptor.BYTES, r.pageRequestQueueTail() / PageRequestDescriptor.BYTES,
                    r.pageRequestQueueHead(), r.pageRequestQueueTail(), s.pageRequests(), s.groupsSucceeded(), s.groupsInvalid(),
                    s.groupsFailed(), s.overflows()));
        }
        return b.toString();
    }

    private static int bit(boolean b) {
        return b ? 1 : 0;
    }
}
