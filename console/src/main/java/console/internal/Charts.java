package console.internal;

import java.util.Locale;

/**
 * The page's live charts, drawn here as SVG (no script library, nothing from outside the machine):
 * one small line chart per series of {@link Samples}, its latest value in the title and in
 * {@code data-latest}. The page fetches this fragment again every two seconds and puts it in place.
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
        return b.append("</div>\n").toString();
    }

    private static void chart(StringBuilder b, Samples.Series s) {
        double latest = s.latest();
        double max = 0;
        for (double v : s.values()) {
            if (!Double.isNaN(v)) {
                max = Math.max(max, v);
            }
        }
        double top = s.unit().equals("%") ? 100 : max <= 0 ? 1 : max;
        b.append("<figure style=\"display:inline-block; margin:4px\"><figcaption>").append(ModelPage.escape(s.title()))
                .append(": ").append(Double.isNaN(latest) ? "-" : format(latest)).append(' ')
                .append(ModelPage.escape(s.unit())).append(" (top ").append(format(top)).append(")</figcaption>\n")
                .append("<svg id=\"chart-").append(s.id()).append("\" data-latest=\"")
                .append(Double.isNaN(latest) ? "" : format(latest)).append("\" width=\"").append(WIDTH)
                .append("\" height=\"").append(HEIGHT).append("\" style=\"background:#f6f6f6; border:1px solid #ccc\">");
        StringBuilder points = new StringBuilder();
        int n = s.values().size();
        for (int i = 0; i < n; i++) {
            double v = s.values().get(i);
            if (Double.isNaN(v)) {
                line(b, points);
                continue;
            }
            double x = Samples.KEEP <= 1 ? 0 : (double) (WIDTH - 1) * (Samples.KEEP - n + i) / (Samples.KEEP - 1);
            double y = HEIGHT - 1 - (HEIGHT - 2) * Math.min(1, v / top);
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        line(b, points);
        b.append("</svg></figure>\n");
    }

    /** Ends a run of points as one polyline (a gap where nothing was measured). */
    private static void line(StringBuilder b, StringBuilder points) {
        if (points.length() > 0) {
            b.append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"")
                    .append(points.toString().trim()).append("\"/>");
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
