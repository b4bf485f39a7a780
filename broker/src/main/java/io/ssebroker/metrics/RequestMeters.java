package io.ssebroker.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Latency of answered HTTP requests by endpoint and status. For {@code /events} it is the time until the stream
 * opened (or was refused), not the life of the stream. Endpoints are the known paths only, so that a scan of
 * random URLs cannot create meters without bound.
 */
public final class RequestMeters {
    /** Status codes are three digits: one slot each, so that a request finds its timer without building a key. */
    private static final int STATUS_SLOTS = 1000;

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, AtomicReferenceArray<Timer>> byEndpoint = new ConcurrentHashMap<>();

    public RequestMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Called on event loops; two lookups without allocation after the first request of each endpoint and status. */
    public void record(String endpoint, int status, long nanos) {
        AtomicReferenceArray<Timer> byStatus = byEndpoint.computeIfAbsent(endpoint,
                key -> new AtomicReferenceArray<>(STATUS_SLOTS));
        int slot = Math.floorMod(status, STATUS_SLOTS);
        Timer timer = byStatus.get(slot);
        if (timer == null) {
            // registering twice is harmless: the registry returns the timer it already holds
            timer = LatencyTimers.builder("sse.broker.http.requests")
                    .tag("endpoint", endpoint).tag("status", Integer.toString(status))
                    .description("answered HTTP requests by endpoint and status")
                    .register(registry);
            byStatus.set(slot, timer);
        }
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }
}
