package io.ssebroker.bench;

import org.HdrHistogram.Histogram;

/** Percentiles of a histogram of microseconds, in milliseconds. */
record LatencySummary(long count, double p50Ms, double p99Ms, double p999Ms, double maxMs) {

    static LatencySummary of(Histogram micros) {
        return new LatencySummary(micros.getTotalCount(), millis(micros.getValueAtPercentile(50)),
                millis(micros.getValueAtPercentile(99)), millis(micros.getValueAtPercentile(99.9)),
                millis(micros.getMaxValue()));
    }

    private static double millis(long micros) {
        return Math.round(micros / 10.0) / 100.0;
    }
}
