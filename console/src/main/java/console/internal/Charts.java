package console.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The page's live charts, drawn here as SVG (no script library, nothing from outside the machine):
 * one small line chart per series of {@link Samples}, its latest value in the title and in
 * {@code data-latest}, and two charts of a line per process (commit charge; GPU usage against budget). The page fetches this fragment again every two seconds and puts it in place.
 */
final class Charts {
    private static final int WIDTH = 300;
    private static final int HEIGHT = 70;

    private Charts() {
    }

    static String html(Samples samples) {
        StringBuilder b = new StringBuilder("<div id=\"charts\" data-sampled=\"").append(samples.taken()).append("\">\n");
        b.append("<h2>The last ").append(Samples.KEEP / 60).append(" minutes (a sample a second)</h2>\n");
        for (Samples.Series s : samples.series()) {
            chart(b, s);
        }
        perProcess(b, "commit-by-process", "commit charge by process", "pages", samples.perProcess(Samples.COMMIT));
        perProcess(b, "gpu-by-process", "GPU memory resident, share of budget, by process", "%",
                samples.perProcess(Samples.GPU));
        return b.append("</div>\n").toString();
    }

    /** Processes drawn in a per-process chart: those with the largest values in the window. */
    static final int PROCESSES_SHOWN = 6;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

    /** One line of a chart: its values, colour, and what goes in its polyline's attributes. */
    private record Line(List<Double> values, String colour, String attributes) {
    }

    private static void chart(StringBuilder b, Samples.Series s) {
        double latest = s.latest();
        double top = s.unit().equals("%") ? 100 : Math.max(1, max(s.values()));
        b.append("<figure style=\"display:inline-block; margin:4px\"><figcaption>").append(ModelPage.escape(s.title()))
                .append(": ").append(Double.isNaN(latest) ? "-" : format(latest)).append(' ')
                .append(ModelPage.escape(s.unit())).append(" (top ").append(format(top)).append(")</figcaption>\n");
        svg(b, s.id(), Double.isNaN(latest) ? "" : format(latest), top, List.of(new Line(s.values(), COLOURS[0], "")));
    }

    /**
     * A chart of one series per process: the {@link #PROCESSES_SHOWN} with the largest values in the window
     * (those that exited since included, so that a short workload stays on the chart), each line with
     * {@code data-pid} and {@code data-latest} (empty once the process exited), its colour in the caption.
     */
    static void perProcess(StringBuilder b, String id, String title, String unit, Map<Integer, List<Double>> series) {
        List<Map.Entry<Integer, List<Double>>> shown = new ArrayList<>(series.entrySet());
        shown.removeIf(e -> e.getValue().stream().allMatch(v -> Double.isNaN(v)));
        shown.sort(Comparator.comparingDouble((Map.Entry<Integer, List<Double>> e) -> max(e.getValue())).reversed()
                .thenComparing(Map.Entry::getKey));
        shown = shown.subList(0, Math.min(PROCESSES_SHOWN, shown.size()));
        double top = unit.equals("%") ? 100 : 1;
        List<Line> lines = new ArrayList<>();
        b.append("<figure style=\"display:inline-block; margin:4px\"><figcaption>").append(ModelPage.escape(title));
        if (shown.isEmpty()) {
            b.append(": no process");
        }
        for (int i = 0; i < shown.size(); i++) {
            Map.Entry<Integer, List<Double>> e = shown.get(i);
            double latest = last(e.getValue());
            if (!unit.equals("%")) {
                top = Math.max(top, max(e.getValue()));
            }
            b.append(i == 0 ? ": " : ", ").append("<span style=\"color:").append(COLOURS[i]).append("\">pid ")
                    .append(e.getKey()).append(' ').append(Double.isNaN(latest) ? "(exited)" : format(latest)).append("</span>");
            lines.add(new Line(e.getValue(), COLOURS[i], " data-pid=\"" + e.getKey() + "\" data-latest=\""
                    + (Double.isNaN(latest) ? "" : format(latest)) + "\""));
        }
        b.append(' ').append(ModelPage.escape(unit)).append(" (top ").append(format(top)).append(")</figcaption>\n");
        svg(b, id, "", top, lines);
    }

    private static void svg(StringBuilder b, String id, String latest, double top, List<Line> lines) {
        b.append("<svg id=\"chart-").append(id).append("\" data-latest=\"").append(latest).append("\" width=\"")
                .append(WIDTH).append("\" height=\"").append(HEIGHT)
                .append("\" style=\"background:#f6f6f6; border:1px solid #ccc\">");
        for (Line line : lines) {
            StringBuilder points = new StringBuilder();
            int n = line.values().size();
            for (int i = 0; i < n; i++) {
                double v = line.values().get(i);
                if (Double.isNaN(v)) {
                    polyline(b, points, line);
                    continue;
                }
                double x = Samples.KEEP <= 1 ? 0 : (double) (WIDTH - 1) * (Samples.KEEP - n + i) / (Samples.KEEP - 1);
                double y = HEIGHT - 1 - (HEIGHT - 2) * Math.min(1, v / top);
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            polyline(b, points, line);
        }
        b.append("</svg></figure>\n");
    }

    private static double max(List<Double> values) {
        double max = 0;
        for (double v : values) {
            if (!Double.isNaN(v)) {
                max = Math.max(max, v);
            }
        }
        return max;
    }

    private static double last(List<Double> values) {
        return values.isEmpty() ? Double.NaN : values.get(values.size() - 1);
    }

    /** Ends a run of points as one polyline (a gap where nothing was measured). */
    private static void polyline(StringBuilder b, StringBuilder points, Line line) {
        if (points.length() > 0) {
            b.append("<polyline fill=\"none\" stroke=\"").append(line.colour()).append("\" stroke-width=\"1.5\"")
                    .append(line.attributes()).append(" points=\"").append(points.toString().trim()).append("\"/>");
            points.setLength(0);
        }
    }

    private static String format(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }

    /**
     * The page's script: the charts fragment fetched again every two seconds, without reloading the
     * page (by an absolute address without user info: a page opened as http://user:pass@host/ may not
     * fetch a relative one).
     */
    static final String REFRESH = "<script>setInterval(function () { fetch(location.origin"
            + " + location.pathname.replace(/\\/$/, '') + '/charts.part', {cache: 'no-store'})"
            + ".then(function (r) { return r.text(); }).then(function (h) {"
            + " document.getElementById('charts').outerHTML = h; }); }, 2000);</script>\n";
}
