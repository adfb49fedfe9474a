package console.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;

import iommu.hw.Iommu;
import iommu.hw.PageWalk;
import os.memmgr.AddressSpace;
import os.memmgr.MemoryException;
import os.memmgr.MemoryManager;
import os.memmgr.PageCounts;
import os.memmgr.RegionInfo;

/**
 * One process's address space as a map: its PASID on each unit, and its regions in address order, as
 * VirtualQuery ({@code mm:query}) reports them (free, reserved, committed with its protection, private or
 * a section view) with how the pages of each committed region stand (resident, paged out, untouched,
 * pinned, in large pages), in a table and drawn as a strip whose segments grow with the logarithm of
 * their size (so that a page beside 128 TiB of free space can be seen). A committed region's base is a
 * link to the page walk of that address ({@code &va=}), any address can be typed in, and the walk is
 * shown level by level on every unit the process is bound to, as {@code iommu:walk} prints it.
 */
final class ProcessMap {
    /** More regions than this are not listed (a process has a few dozen). */
    private static final int MAX_REGIONS = 2000;
    private static final int WIDTH = 900;

    private ProcessMap() {
    }

    /** The map of {@code pid}; with {@code va}, the walk of that address on each unit the process is bound to. */
    static String html(MemoryManager os, List<Iommu> units, int pid, Long va) {
        AddressSpace space;
        try {
            space = os.addressSpace(pid);
        } catch (MemoryException gone) {
            return "<h2>Process " + pid + "</h2>\n<p id=\"map\">no process has pid " + pid + "</p>\n";
        }
        List<RegionInfo> regions = regions(space);
        StringBuilder b = new StringBuilder("<h2>Process ").append(pid).append(": address space</h2>\n<p id=\"map-pasids\">");
        SortedMap<Integer, Integer> pasids = space.pasids();
        b.append(pasids.isEmpty() ? "bound to no IOMMU unit" : "PASID on each unit: ");
        pasids.forEach((unit, pasid) -> b.append("unit ").append(unit).append(": ").append(pasid).append("; "));
        b.append("</p>\n");
        strip(b, regions);
        b.append("<table id=\"map\" class=\"nicetable\"><thead><tr><th>base</th><th>size</th><th>allocation</th>")
                .append("<th>state</th><th>protection</th><th>type</th><th>resident</th><th>paged out</th>")
                .append("<th>untouched</th><th>pinned</th><th>in large pages</th></tr></thead><tbody>\n");
        for (RegionInfo r : regions) {
            boolean committed = r.state() == RegionInfo.State.COMMIT;
            b.append("<tr><td>").append(committed ? "<a class=\"walk-link\" href=\"?pid=" + pid + "&amp;va=" + hex(r.base())
                    + "\">" + hex(r.base()) + "</a>" : hex(r.base())).append("</td><td>").append(hex(r.size())).append("</td><td>")
                    .append(hex(r.allocationBase())).append("</td><td>").append(r.state()).append("</td><td>")
                    .append(r.protection() == null ? "" : ModelPage.escape(r.protection().shortName())).append("</td><td>")
                    .append(r.type() == null ? "" : r.type()).append("</td>");
            PageCounts pages = committed ? pages(space, r) : null;
            for (long n : pages == null ? new long[0] : new long[] {pages.resident(), pages.pagedOut(), pages.untouched(),
                    pages.pinned(), pages.large()}) {
                b.append("<td>").append(n).append("</td>");
            }
            b.append(pages == null ? "<td></td><td></td><td></td><td></td><td></td>" : "").append("</tr>\n");
        }
        b.append("</tbody></table>\n<p>pages of 4 KiB; click a committed region's base for its page walk, or type an"
                + " address:</p>\n<form id=\"walk-form\" method=\"get\"><input type=\"hidden\" name=\"pid\" value=\"")
                .append(pid).append("\"><input id=\"walk-va\" name=\"va\" size=\"20\" value=\"")
                .append(va == null ? "" : hex(va)).append("\"> <input type=\"submit\" value=\"walk\"></form>\n");
        if (va != null) {
            walks(b, units, pasids, pid, va);
        }
        return b.toString();
    }

    private static PageCounts pages(AddressSpace space, RegionInfo r) {
        try {
            return space.pages(r.base(), r.size());
        } catch (MemoryException changed) {
            return null; // the process went away or changed since the query
        }
    }

    /** The walk of {@code va} on each unit the process is bound to, level by level. */
    private static void walks(StringBuilder b, List<Iommu> units, SortedMap<Integer, Integer> pasids, int pid, long va) {
        b.append("<h2 id=\"walk\">Page walk of VA ").append(hex(va)).append(", process ").append(pid).append("</h2>\n");
        if (pasids.isEmpty()) {
            b.append("<p>the process is bound to no IOMMU unit (iommu:bind binds it)</p>\n");
        }
        for (Iommu unit : units) {
            Integer pasid = pasids.get(unit.unit());
            if (pasid == null) {
                continue;
            }
            PageWalk walk = unit.walk(pasid, va);
            int u = unit.unit();
            b.append("<h3>unit ").append(u).append(", PASID ").append(pasid).append(walk.root() < 0 ? ""
                    : ", PML4 table at " + hex(walk.root())).append("</h3>\n<table id=\"walk-").append(u)
                    .append("\" class=\"nicetable\"><thead><tr><th>level</th><th>index</th><th>entry at</th><th>raw</th>")
                    .append("<th>bits</th></tr></thead><tbody>\n");
            for (PageWalk.Level l : walk.levels()) {
                b.append("<tr><td>").append(l.name()).append("</td><td>").append(l.index()).append("</td><td>")
                        .append(hex(l.entryAddress())).append("</td><td>").append(String.format("0x%016x", l.entry()))
                        .append("</td><td>").append(ModelPage.escape(l.decoded())).append("</td></tr>\n");
            }
            String[] lines = walk.describe().split("\\R");
            b.append("</tbody></table>\n<p id=\"walk-outcome-").append(u).append("\">")
                    .append(ModelPage.escape(lines[lines.length - 2])).append("</p>\n<p id=\"walk-iotlb-").append(u)
                    .append("\">").append(ModelPage.escape(lines[lines.length - 1])).append("</p>\n");
        }
    }

    /** The regions from address 0 up to the end of user space, as VirtualQuery walks them. */
    static List<RegionInfo> regions(AddressSpace space) {
        List<RegionInfo> list = new ArrayList<>();
        long va = 0;
        while (list.size() < MAX_REGIONS) {
            RegionInfo r;
            try {
                r = space.query(va);
            } catch (MemoryException past) {
                break; // beyond user space
            }
            list.add(r);
            if (r.size() <= 0) {
                break;
            }
            va = r.base() + r.size();
        }
        return list;
    }

    private static void strip(StringBuilder b, List<RegionInfo> regions) {
        double total = 0;
        for (RegionInfo r : regions) {
            total += weight(r);
        }
        b.append("<svg id=\"map-strip\" width=\"").append(WIDTH).append("\" height=\"24\">");
        double x = 0;
        for (RegionInfo r : regions) {
            double w = WIDTH * weight(r) / total;
            String colour = switch (r.state()) {
                case FREE -> "#eeeeee";
                case RESERVE -> "#f0c36d";
                case COMMIT -> r.type() == RegionInfo.Type.MAPPED ? "#8fd19e" : "#6fa8dc";
            };
            b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"24\" fill=\"%s\""
                    + " stroke=\"#888\"><title>%s</title></rect>", x, w, colour, ModelPage.escape(r)));
            x += w;
        }
        b.append("</svg>\n<p>free: grey, reserved: yellow, committed private: blue, committed section view: green"
                + " (widths grow with the logarithm of the size)</p>\n");
    }

    private static double weight(RegionInfo r) {
        return 1 + Math.log(Math.max(1, r.size() >> 12)) / Math.log(2);
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
