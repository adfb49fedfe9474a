package iommu.hw.amdvi.internal;

import java.util.Locale;
import java.util.function.IntFunction;

import iommu.hw.RequesterId;
import iommu.hw.amdvi.AmdViRegisters;
import iommu.hw.amdvi.DeviceTableEntry;
import iommu.hw.amdvi.Gcr3Table;

/**
 * An AMD-Vi unit's structures in memory decoded for people: the device table entry of each device in
 * its scope, a PASID's GCR3 table entry, and the command buffer, event log and PPR log (what the shell's
 * {@code iommu:context}, {@code iommu:pasid-entry} and {@code iommu:queues} print).
 */
final class AmdViDescriptions {
    private AmdViDescriptions() {
    }

    static String devices(int unit, AmdViRegisters r, IntFunction<DeviceTableEntry> raw) {
        if (r.deviceTable() < 0) {
            return "unit " + unit + ": no device table is programmed (device table base): every request faults NO_CONTEXT";
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "unit %d: device table at 0x%x, %d entries (AMD-Vi)", unit,
                r.deviceTable(), r.deviceTableEntries()));
        for (RequesterId rid : r.deviceScope()) {
            DeviceTableEntry e = raw.apply(rid.value());
            b.append(String.format(Locale.ROOT, "%n%s  ", rid));
            if (e == null) {
                b.append("outside the device table");
                continue;
            }
            long[] w = e.encode();
            b.append(String.format(Locale.ROOT, "0x%016x_%016x_%016x  %s", w[2], w[1], w[0], e.describe()));
        }
        return b.toString();
    }

    static String pasid(int unit, int requesterId, int pasid, DeviceTableEntry dte, long entry) {
        if (dte == null || !dte.valid() || !dte.guestTranslation()) {
            return "unit " + unit + " PASID " + pasid + ": device " + RequesterId.of(requesterId)
                    + " has no GCR3 table (its device table entry is not valid or GV is clear)";
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "unit %d PASID %d: GCR3 table entry 0x%016x (device %s, GCR3 table at 0x%x, GLX %d: index %s)", unit, pasid,
                entry, RequesterId.of(requesterId), dte.gcr3Table(), dte.glx(), indexes(pasid, dte.glx())));
        if (!Gcr3Table.valid(entry)) {
            return b.append(System.lineSeparator()).append("not valid: no address space is bound to it").toString();
        }
        return b.append(String.format(Locale.ROOT, "%nvalid 1  guest CR3 (PML4) 0x%x", Gcr3Table.address(entry))).toString();
    }

    private static String indexes(int pasid, int glx) {
        StringBuilder b = new StringBuilder();
        for (int level = glx; level >= 0; level--) {
            b.append(level == glx ? "" : ", ").append(Gcr3Table.index(pasid, level));
        }
        return b.toString();
    }

    static String queues(int unit, AmdViRegisters r, String error) {
        AmdViRegisters.Stats s = r.stats();
        StringBuilder b = new StringBuilder();
        if (r.commandBuffer() < 0) {
            b.append("unit ").append(unit).append(": no command buffer is programmed");
        } else {
            b.append(String.format(Locale.ROOT, "unit %d command buffer at 0x%x: %d commands of 128 bits, head %d, tail %d"
                            + " (head 0x%x, tail 0x%x)", unit, r.commandBuffer(), r.commandBufferEntries(), r.commandHead() / 16,
                    r.commandTail() / 16, r.commandHead(), r.commandTail()));
        }
        b.append(String.format(Locale.ROOT, "%nprocessed   INVALIDATE_DEVTAB_ENTRY %d, INVALIDATE_IOMMU_PAGES %d,"
                        + " INVALIDATE_IOTLB_PAGES %d, COMPLETE_PPR_REQUEST %d, INVALIDATE_IOMMU_ALL %d%nwaits       %d completed%n"
                        + "time-outs   %d IOTLB invalidations not answered in time%nerrors      %d%s",
                s.devtabInvalidations(), s.pageInvalidations(), s.iotlbInvalidations(), s.pprCompletions(), s.invalidateAll(),
                s.completionWaits(), s.iotlbTimeouts(), s.illegalCommands(), error == null ? "" : " (stopped: " + error + ")"));
        if (r.eventLog() >= 0) {
            b.append(String.format(Locale.ROOT, "%nevent log at 0x%x: %d entries, head %d, tail %d; IO_PAGE_FAULT %d, overflows %d",
                    r.eventLog(), r.eventLogEntries(), r.eventHead() / 16, r.eventTail() / 16, s.ioPageFaults(), s.eventOverflows()));
        }
        if (r.pprLog() < 0) {
            b.append(System.lineSeparator()).append("no PPR log is programmed");
        } else {
            b.append(String.format(Locale.ROOT, "%nPPR log at 0x%x: %d entries, head %d, tail %d%n"
                            + "page requests %d logged; page groups answered: success %d, invalid request %d, response failure %d;"
                            + " overflows %d (the device retried)", r.pprLog(), r.pprLogEntries(), r.pprHead() / 16, r.pprTail() / 16,
                    s.pageRequests(), s.groupsSucceeded(), s.groupsInvalid(), s.groupsFailed(), s.pprOverflows()));
        }
        return b.toString();
    }
}
