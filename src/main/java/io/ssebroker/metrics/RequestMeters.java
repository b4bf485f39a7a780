package io.ssebroker.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Latency of answered HTTP requests by endpoint and status. For {@code /events} it is the time until the stream
 * opened (or was refused), not the life of the stream. Endpoints are the known paths only, so that a scan of
 * random URLs cannot create meters without bound.
 */
public final class RequestMeters {
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

    public RequestMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Called on event loops; a map hit after the first request of each endpoint and status. */
    public void record(String endpoint, int status, long nanos) {
        timers.computeIfAbsent(endpoint + ' ' + status, key -> LatencyTimers.builder("sse.broker.http.requests")
                        .tag("endpoint", endpoint).tag("status", Integer.toString(status))
                            .description("answered HTTP requests by endpoint and status")
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }
}
