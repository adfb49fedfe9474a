package console.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import os.memmgr.AddressSpace;
import os.memmgr.MemoryException;
import os.memmgr.MemoryManager;
import os.memmgr.RegionInfo;

/**
 * One process's address space as a map: its regions in address order, as VirtualQuery ({@code
 * mm:query}) reports them (free, reserved, committed with its protection, private or a section view),
 * in a table and drawn as a strip whose segments grow with the logarithm of their size (so that a page
 * beside 128 TiB of free space can be seen).
 */
final class ProcessMap {
    /** More regions than this are not listed (a process has a few dozen). */
    private static final int MAX_REGIONS = 2000;
    private static final int WIDTH = 900;

    private ProcessMap() {
    }

    static String html(MemoryManager os, int pid) {
        AddressSpace space;
        try {
            space = os.addressSpace(pid);
        } catch (MemoryException gone) {
            return "<h2>Process " + pid + "</h2>\n<p id=\"map\">no process has pid " + pid + "</p>\n";
        }
        List<RegionInfo> regions = regions(space);
        StringBuilder b = new StringBuilder("<h2>Process ").append(pid).append(": address space</h2>\n");
        strip(b, regions);
        b.append("<table id=\"map\" class=\"nicetable\"><thead><tr><th>base</th><th>size</th><th>allocation</th>")
                .append("<th>state</th><th>protection</th><th>type</th></tr></thead><tbody>\n");
        for (RegionInfo r : regions) {
            b.append("<tr><td>").append(hex(r.base())).append("</td><td>").append(hex(r.size())).append("</td><td>")
                    .append(hex(r.allocationBase())).append("</td><td>").append(r.state()).append("</td><td>")
                    .append(r.protection() == null ? "" : ModelPage.escape(r.protection().shortName())).append("</td><td>")
                    .append(r.type() == null ? "" : r.type()).append("</td></tr>\n");
        }
        return b.append("</tbody></table>\n").toString();
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
