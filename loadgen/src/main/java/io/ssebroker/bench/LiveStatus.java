package io.ssebroker.bench;

import java.util.Locale;
import java.util.function.Supplier;

/** The figures of a progress line: open connections, and while messages flow their rate and latency since the last line. */
final class LiveStatus implements Supplier<String> {
    private final Subscribers subscribers;
    private final Deliveries deliveries;
    private long lastFresh;
    private long lastNanos = System.nanoTime();

    LiveStatus(Subscribers subscribers, Deliveries deliveries) {
        this.subscribers = subscribers;
        this.deliveries = deliveries;
    }

    @Override
    public String get() {
        long now = System.nanoTime();
        long fresh = deliveries.fresh();
        double perSecond = (fresh - lastFresh) / ((now - lastNanos) / 1e9);
        lastFresh = fresh;
        lastNanos = now;
        LatencySummary latency = deliveries.interval();
        String line = String.format(Locale.ROOT, "open=%d", subscribers.openCount());
        if (deliveries.published() > 0) {
            line += String.format(Locale.ROOT, " published=%d deliveries/s=%.0f p50=%.2fms p99=%.2fms outstanding=%d",
                    deliveries.published(), perSecond, latency.p50Ms(), latency.p99Ms(), deliveries.outstanding());
        }
        return line;
    }
}
