package io.ssebroker.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One latency percentile plot as SVG: the percentile on a log scale of 1/(1 − p) (50%, 90%, 99%, ... spaced
 * evenly, as HdrHistogram plots them), the latency in milliseconds on a log scale, one line per system.
 */
final class PercentilePlot {
    private static final int WIDTH = 640;
    private static final int HEIGHT = 400;
    private static final int LEFT = 70;
    private static final int RIGHT = 150;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;
    private static final String[] COLOURS = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"};
    /** Where the maximum is drawn: one step beyond 99.99%. */
    private static final double MAX_NINES = 5;

    private final String title;
    private final Map<String, List<LatencySummary.Point>> curves = new LinkedHashMap<>();

    PercentilePlot(String title) {
        this.title = title;
    }

    void add(String system, List<LatencySummary.Point> curve) {
        curves.putIfAbsent(system, curve); // of a case run several times, its first run
    }

    boolean isEmpty() {
        return curves.isEmpty();
    }

    /** 50% → 0.3, 90% → 1, 99% → 2, 99.9% → 3: the number of nines. */
    static double nines(double percentile) {
        return percentile >= 100 ? MAX_NINES : -Math.log10(1 - percentile / 100);
    }

    String svg() {
        double minMs = Double.MAX_VALUE;
        double maxMs = 0;
        for (List<LatencySummary.Point> curve : curves.values()) {
            for (LatencySummary.Point point : curve) {
                minMs = Math.min(minMs, Math.max(point.ms(), 0.01));
                maxMs = Math.max(maxMs, Math.max(point.ms(), 0.01));
            }
        }
        double low = Math.floor(Math.log10(minMs));
        double high = Math.max(low + 1, Math.ceil(Math.log10(maxMs)));
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">\n", WIDTH, HEIGHT));
        out.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"14\">%s</text>\n", LEFT, escape(title)));
        for (double decade = low; decade <= high; decade++) {
            double y = y(decade, low, high);
            out.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                    LEFT, y, WIDTH - RIGHT, y));
            out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s ms</text>\n",
                    LEFT - 6, y + 4, label(Math.pow(10, decade))));
        }
        String[] ticks = {"50%", "90%", "99%", "99.9%", "99.99%", "max"};
        double[] at = {nines(50), 1, 2, 3, 4, MAX_NINES};
        for (int i = 0; i < ticks.length; i++) {
            double x = x(at[i]);
            out.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n",
                    x, TOP, x, HEIGHT - BOTTOM));
            out.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
                    x, HEIGHT - BOTTOM + 18, ticks[i]));
        }
        out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile</text>\n",
                (LEFT + WIDTH - RIGHT) / 2, HEIGHT - 12));
        int index = 0;
        for (Map.Entry<String, List<LatencySummary.Point>> entry : curves.entrySet()) {
            String colour = COLOURS[index % COLOURS.length];
            List<String> points = new ArrayList<>();
            for (LatencySummary.Point point : entry.getValue()) {
                points.add(String.format(Locale.ROOT, "%.1f,%.1f", x(nines(point.percentile())),
                        y(Math.log10(Math.max(point.ms(), 0.01)), low, high)));
            }
            out.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\">"
                    + "<title>%s</title></polyline>\n", colour, String.join(" ", points), escape(entry.getKey())));
            int legendY = TOP + 16 + 20 * index;
            out.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>\n",
                    WIDTH - RIGHT + 12, legendY - 4, WIDTH - RIGHT + 32, legendY - 4, colour));
            out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>\n", WIDTH - RIGHT + 38, legendY,
                    escape(entry.getKey())));
            index++;
        }
        out.append("</svg>\n");
        return out.toString();
    }

    private static double x(double nines) {
        return LEFT + (WIDTH - LEFT - RIGHT) * nines / MAX_NINES;
    }

    private static double y(double log10Ms, double low, double high) {
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * (log10Ms - low) / (high - low);
    }

    private static String label(double ms) {
        return ms >= 1 ? String.format(Locale.ROOT, "%,.0f", ms) : String.format(Locale.ROOT, "%s", ms);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
