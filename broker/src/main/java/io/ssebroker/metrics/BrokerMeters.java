package io.ssebroker.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.ssebroker.broker.BrokerMetrics;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The broker's counters. Micrometer counters are striped adders, so the event loops that count deliveries do not
 * contend; counters by reason are looked up once per reason and then reused.
 */
public final class BrokerMeters implements BrokerMetrics {
    private final MeterRegistry registry;
    private final Counter delivered;
    private final Counter replayed;
    private final Counter slowClients;
    private final RefusalMeters refusals;
    private final ConcurrentHashMap<String, Counter> resets = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> disconnects = new ConcurrentHashMap<>();

    /** Refusals for the broker's own limits go to {@code refusals}, with the HTTP layer's. */
    public BrokerMeters(MeterRegistry registry, RefusalMeters refusals) {
        this.registry = registry;
        this.refusals = refusals;
        this.delivered = Counter.builder("sse.broker.deliveries")
                .description("live message frames written to SSE connections").register(registry);
        this.replayed = Counter.builder("sse.broker.replayed.frames")
                .description("retained messages replayed to connections that came back with a cursor").register(registry);
        this.slowClients = Counter.builder("sse.broker.slow.client.disconnects")
                .description("connections closed because the client read too slowly (limits.max_unsent_bytes)")
                .register(registry);
    }

    @Override
    public void delivered(int frames) {
        if (frames > 0) {
            delivered.increment(frames);
        }
    }

    @Override
    public void replayed(int frames) {
        if (frames > 0) {
            replayed.increment(frames);
        }
    }

    @Override
    public void reset(String reason) {
        resets.computeIfAbsent(reason, r -> Counter.builder("sse.broker.resets").tag("reason", r)
                .description("replays that began with sys_reset, by reason").register(registry)).increment();
    }

    @Override
    public void disconnected(String reason) {
        disconnects.computeIfAbsent(reason, r -> Counter.builder("sse.broker.disconnects").tag("reason", r)
                .description("ended SSE connections by reason: extrude_offline counts extrusions, kick_offline kicks")
                .register(registry)).increment();
    }

    @Override
    public void slowClientDisconnected() {
        slowClients.increment();
    }

    @Override
    public void connectionLimitReached() {
        refusals.count(RefusalMeters.Reason.NODE_CONNECTIONS);
    }

    @Override
    public void deviceLimitReached() {
        refusals.count(RefusalMeters.Reason.USER_DEVICES);
    }
}
