package io.ssebroker.metrics;

import io.micrometer.core.instrument.Gauge;
import io.ssebroker.broker.Broker;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.NodeStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The body of {@code /metrics}: every meter of the node plus the presence gauges. Connections are this node's.
 * Users and devices online are cluster-wide, as {@code /info} shows them: they are read from the engine when
 * scraped rather than on a timer, so an idle node asks nothing of the engine; every node reports the same value.
 */
public final class PrometheusEndpoint {
    /** A scrape never waits longer than this for the engine; the previous presence values are shown instead. */
    private static final long PRESENCE_DEADLINE_MILLIS = 1000;

    private final NodeMetrics metrics;
    private final Engine engine;
    private final AtomicLong usersOnline = new AtomicLong();
    private final AtomicLong devicesOnline = new AtomicLong();

    public PrometheusEndpoint(NodeMetrics metrics, Broker broker, Engine engine) {
        this.metrics = metrics;
        this.engine = engine;
        Gauge.builder("sse.broker.connections", broker, Broker::connectionCount).strongReference(true)
                .description("SSE connections open on this node").register(metrics.registry());
        Gauge.builder("sse.broker.users.online", usersOnline, AtomicLong::get).strongReference(true)
                .description("users with at least one device online in the cluster").register(metrics.registry());
        Gauge.builder("sse.broker.devices.online", devicesOnline, AtomicLong::get).strongReference(true)
                .description("devices online in the cluster").register(metrics.registry());
    }

    /** Refreshes the cluster presence from the engine, then renders every meter in the Prometheus text format. */
    public CompletableFuture<String> scrape() {
        CompletableFuture<Void> users = engine.userCount().thenAccept(usersOnline::set);
        CompletableFuture<Void> devices = engine.nodes().thenAccept(nodes ->
                devicesOnline.set(nodes.stream().mapToLong(NodeStatus::deviceCount).sum()));
        return CompletableFuture.allOf(users, devices)
                .completeOnTimeout(null, PRESENCE_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
                .handle((done, engineFailure) -> metrics.scrape()); // engine failures are counted by MeteredEngine
    }

    public String contentType() {
        return NodeMetrics.CONTENT_TYPE;
    }
}
