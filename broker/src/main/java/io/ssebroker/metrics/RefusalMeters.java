package io.ssebroker.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * Requests and connections turned away to protect the node, by reason, whether the HTTP layer or the broker refused
 * them:
 * {@code sse_broker_http_refused_total{reason="header_timeout"}}. Every reason is registered at start, so that a
 * dashboard sees zeros rather than no series.
 */
public final class RefusalMeters {
    public enum Reason {
        /** A request line and headers did not arrive within {@code http.header_timeout}. */
        HEADER_TIMEOUT,
        /** A request body did not arrive within {@code http.body_timeout}. */
        BODY_TIMEOUT,
        /** A TCP connection from an address that already holds {@code limits.max_connections_per_address}. */
        PEER_CONNECTIONS,
        /** An SSE connection from a client address that already holds {@code limits.max_connections_per_address}. */
        ADDRESS_CONNECTIONS,
        /** An SSE connect over {@code limits.connects_per_second_per_address}. */
        ADDRESS_CONNECT_RATE,
        /** An SSE connect to a node that holds {@code limits.max_connections} connections. */
        NODE_CONNECTIONS,
        /** An SSE connect of a user that has {@code limits.max_devices_per_user} other devices online. */
        USER_DEVICES;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Map<Reason, Counter> counters = new EnumMap<>(Reason.class);

    public RefusalMeters(MeterRegistry registry) {
        for (Reason reason : Reason.values()) {
            counters.put(reason, Counter.builder("sse.broker.http.refused").tag("reason", reason.tag())
                    .description("requests and connections refused to protect the node, by reason")
                    .register(registry));
        }
    }

    public void count(Reason reason) {
        counters.get(reason).increment();
    }
}
