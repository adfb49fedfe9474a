package iommu.hw;

import java.util.List;
import java.util.Locale;

/**
 * A page walk explained level by level, as {@link Iommu#walk} makes it and {@code iommu:walk} prints it:
 * the entry read at each level, where the walk stopped, what it maps to, and whether the unit's IOTLB
 * holds a translation of the page now. Making one changes nothing: no accessed or dirty bit is set, no
 * IOTLB entry is filled, nothing is counted.
 *
 * @param unit            the IOMMU unit
 * @param pasid           the PASID walked
 * @param va              the virtual address
 * @param root            the PML4 table the PASID is bound to, or -1 if it is not bound (then no level)
 * @param levels          the entries read, from the PML4E down; the last is where the walk stopped or the leaf
 * @param outcome         a mapping (for a read by a user request) or the fault that stops such a read
 * @param iotlbPhysical   the physical address the IOTLB holds for {@code va}, or -1 if it holds none
 */
public record PageWalk(int unit, int pasid, long va, long root, List<Level> levels, Translation outcome,
                       long iotlbPhysical) {
    public PageWalk {
        levels = List.copyOf(levels);
    }

    /**
     * One entry of the walk.
     *
     * @param level        4 = PML4E, 3 = PDPTE, 2 = PDE, 1 = PTE
     * @param index        the entry's index in its table (nine bits of the VA)
     * @param entryAddress the physical address of the entry
     * @param entry        its raw 64-bit value
     */
    public record Level(int level, int index, long entryAddress, long entry) {
        /** PML4E, PDPTE, PDE or PTE. */
        public String name() {
            return switch (level) {
                case 4 -> "PML4E";
                case 3 -> "PDPTE";
                case 2 -> "PDE";
                default -> "PTE";
            };
        }

        /** Whether this entry maps a page (a PTE, or a PDPTE or PDE with PS) rather than pointing at a table. */
        public boolean leaf() {
            return Pte.isPresent(entry) && (level == 1 || (level < 4 && (entry & Pte.PAGE_SIZE) != 0));
        }

        /** The entry's bits in words: {@code P W U A D PS NX}, and the table or page it points at. */
        public String decoded() {
            if (!Pte.isPresent(entry)) {
                return entry == 0 ? "not present" : String.format(Locale.ROOT,
                        "not present (the OS keeps 0x%x in it)", entry);
            }
            String flags = Pte.describe(entry);
            flags = flags.substring(flags.indexOf('[') + 1, flags.length() - 1);
            if (leaf()) {
                PageSize size = level == 1 ? PageSize.SIZE_4K : level == 2 ? PageSize.SIZE_2M : PageSize.SIZE_1G;
                return String.format(Locale.ROOT, "%s -> %s page 0x%x", flags, size, Pte.leafAddress(entry, size));
            }
            return String.format(Locale.ROOT, "%s -> table 0x%x", flags, Pte.address(entry));
        }
    }

    /** Whether the IOTLB holds a translation of {@code va}. */
    public boolean iotlbHolds() {
        return iotlbPhysical >= 0;
    }

    /** The walk as {@code iommu:walk} prints it, one line per level and one for the outcome. */
    public String describe() {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "unit %d PASID %d VA 0x%x: ", unit, pasid, va));
        if (root < 0) {
            return b.append("PASID ").append(pasid).append(" is not bound on unit ").append(unit).toString();
        }
        b.append(String.format(Locale.ROOT, "PML4 table at 0x%x", root));
        for (Level l : levels) {
            b.append(String.format(Locale.ROOT, "%n%-5s[%3d] at 0x%x = 0x%016x  %s", l.name(), l.index(), l.entryAddress(),
                    l.entry(), l.decoded()));
        }
        b.append(System.lineSeparator());
        if (outcome instanceof Translation.Mapping m) {
            b.append(String.format(Locale.ROOT, "maps VA 0x%x -> PA 0x%x (page %s)", va, m.physicalAddress(va), m));
        } else {
            Translation.Fault f = (Translation.Fault) outcome;
            Level last = levels.isEmpty() ? null : levels.get(levels.size() - 1);
            b.append("stops").append(last == null ? "" : " at " + last.name()).append(": ").append(f.kind());
        }
        b.append(System.lineSeparator()).append(iotlbHolds()
                ? String.format(Locale.ROOT, "IOTLB: holds it (PA 0x%x)", iotlbPhysical) : "IOTLB: does not hold it");
        return b.toString();
    }
}
