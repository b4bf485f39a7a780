package io.ssebroker.metrics;

import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** Timers of the node's latencies share these histogram buckets, so that dashboards can compare them. */
final class LatencyTimers {
    private LatencyTimers() {
    }

    /** A timer builder with buckets from 1 ms to 2.5 s: a handful per series, enough for quantile estimates. */
    static Timer.Builder builder(String name) {
        return Timer.builder(name).serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(5),
                Duration.ofMillis(25), Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofMillis(2500));
    }
}
