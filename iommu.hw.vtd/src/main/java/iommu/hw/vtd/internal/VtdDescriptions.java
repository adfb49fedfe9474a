package iommu.hw.vtd.internal;

import java.util.Locale;

import iommu.hw.RequesterId;
import iommu.hw.vtd.ContextEntry;
import iommu.hw.vtd.PageRequestDescriptor;
import iommu.hw.vtd.PasidEntry;
import iommu.hw.vtd.VtdRegisters;

/**
 * A VT-d unit's structures in memory decoded for people: the root table and each device's context
 * entry, a PASID's entry, and the invalidation and page request queues (what the shell's
 * {@code iommu:context}, {@code iommu:pasid-entry} and {@code iommu:queues} print).
 */
final class VtdDescriptions {
    /** A queue descriptor's bytes (IQH and IQT hold byte offsets; the shell prints indices). */
    private static final int INVALIDATION_DESCRIPTOR_BYTES = iommu.hw.vtd.Descriptor.BYTES;

    private VtdDescriptions() {
    }

    static String devices(int unit, VtdRegisters r, TranslationTables tables) {
        if (r.rootTable() < 0) {
            return "unit " + unit + ": no root table is programmed (RTADDR): every request faults NO_CONTEXT";
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "unit %d: root table at 0x%x (scalable mode)", unit,
                r.rootTable()));
        for (RequesterId rid : r.deviceScope()) {
            ContextEntry c = tables.contextEntry(rid);
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


    static String queues(int unit, VtdRegisters r) {
        VtdRegisters.QueueStats s = r.queueStats();
        StringBuilder b = new StringBuilder();
        if (r.invalidationQueue() < 0) {
            b.append("unit ").append(unit).append(": no invalidation queue is programmed (IQA)");
        } else {
            b.append(String.format(Locale.ROOT, "unit %d invalidation queue at 0x%x: %d descriptors of 256 bits, head %d, tail %d"
                    + " (IQH 0x%x, IQT 0x%x)", unit, r.invalidationQueue(), r.queueEntries(),
                    r.invalidationQueueHead() / INVALIDATION_DESCRIPTOR_BYTES, r.invalidationQueueTail() / INVALIDATION_DESCRIPTOR_BYTES,
                    r.invalidationQueueHead(), r.invalidationQueueTail()));
        }
        b.append(String.format(Locale.ROOT, "%nprocessed   context-cache %d, PASID-cache %d, PASID-based IOTLB %d,"
                        + " PASID-based device-TLB %d, page group responses %d%nwaits       %d completed, %d aborted by a time-out%n"
                        + "time-outs   %d device-TLB invalidations not answered in time%nerrors      %d%s",
                s.contextCache(), s.pasidCache(), s.iotlb(), s.deviceTlb(), s.groupResponses(), s.waits(), s.abortedWaits(),
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


    /** {@code words}: the PASID's entry, or null when no PASID table holds it. */
    static String pasidEntry(int unit, int pasid, long[] words) {
        if (words == null) {
            return "unit " + unit + " PASID " + pasid + ": no PASID table holds it (its directory entry is not present)";
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "unit %d PASID %d: 64 bytes (memory order)", unit, pasid));
        for (int i = 0; i < 64; i++) {
            b.append(i % 16 == 0 ? String.format(Locale.ROOT, "%n%02x:", i) : "").append(String.format(Locale.ROOT, " %02x",
                    (words[i / 8] >>> (8 * (i % 8))) & 0xFF));
        }
        PasidEntry entry = PasidEntry.decode(words);
        b.append(System.lineSeparator()).append(entry.describe());
        return entry.present() ? b.toString() : b.append(System.lineSeparator()).append("not present: no address space is bound to it")
                .toString();
    }

    private static int bit(boolean b) {
        return b ? 1 : 0;
    }
}
