package io.ssebroker.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * Percentiles of a histogram of microseconds, in milliseconds; {@code curve} is the latency at a ladder of
 * percentiles (50, 75, 90, 99, 99.9, 99.99, 100) for the percentile plots.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record LatencySummary(long count, double p50Ms, double p99Ms, double p999Ms, double maxMs, List<Point> curve) {
    static final double[] CURVE_PERCENTILES = {50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100};

    /** The latency at a percentile. */
    record Point(double percentile, double ms) {
    }

    static LatencySummary of(Histogram micros) {
        List<Point> curve = new ArrayList<>();
        if (micros.getTotalCount() > 0) {
            for (double percentile : CURVE_PERCENTILES) {
                curve.add(new Point(percentile, millis(percentile == 100 ? micros.getMaxValue()
                        : micros.getValueAtPercentile(percentile))));
            }
        }
        return new LatencySummary(micros.getTotalCount(), millis(micros.getValueAtPercentile(50)),
                millis(micros.getValueAtPercentile(99)), millis(micros.getValueAtPercentile(99.9)),
                millis(micros.getMaxValue()), curve.isEmpty() ? null : List.copyOf(curve));
    }

    private static double millis(long micros) {
        return Math.round(micros / 10.0) / 100.0;
    }
}
