package iommu.hw.internal;

import java.util.List;
import java.util.Locale;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import iommu.hw.Iommu;
import iommu.hw.Pasid;
import shell.support.Args;
import iommu.hw.vtd.PasidEntry;

/**
 * {@code iommu:pasid-entry PASID [UNIT]}: the PASID's 64-byte entry as memory holds it, in hex, and each
 * field decoded. A component of its own: a Java method cannot be named with a hyphen, so Gogo calls
 * {@code _main} with the command's name first.
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

    @Descriptor("a PASID's entry on unit 0: the 64 bytes in memory, in hex, and each field decoded")
    public String _main(@Descriptor("the command") String command, @Descriptor("PASID, as iommu:bind printed it") String pasid) {
        return _main(command, pasid, "0");
    }

    @Descriptor("a PASID's entry on a unit: the 64 bytes in memory, in hex, and each field decoded")
    public String _main(@Descriptor("the command") String command, @Descriptor("PASID, as iommu:bind printed it") String pasid,
                        @Descriptor("IOMMU unit, as iommu:units lists it") String unit) {
        return describe(IommuCommands.find(units, unit), Args.id("PASID", pasid));
    }

    static String describe(Iommu iommu, int pasid) {
        if (pasid > Pasid.MAX) {
            throw new IllegalArgumentException("PASID " + pasid + " does not fit 20 bits (0.." + Pasid.MAX + ")");
        }
        long[] words = iommu.pasidEntry(pasid);
        if (words == null) {
            return "unit " + iommu.unit() + " PASID " + pasid + ": no PASID table holds it (its directory entry is not present)";
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "unit %d PASID %d: 64 bytes (memory order)", iommu.unit(), pasid));
        for (int i = 0; i < 64; i++) {
            b.append(i % 16 == 0 ? String.format(Locale.ROOT, "%n%02x:", i) : "").append(String.format(Locale.ROOT, " %02x",
                    (words[i / 8] >>> (8 * (i % 8))) & 0xFF));
        }
        PasidEntry entry = PasidEntry.decode(words);
        b.append(System.lineSeparator()).append(entry.describe());
        return entry.present() ? b.toString() : b.append(System.lineSeparator()).append("not present: no address space is bound to it")
                .toString();
    }
}
