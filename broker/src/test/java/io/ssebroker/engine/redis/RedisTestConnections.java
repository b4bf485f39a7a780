package io.ssebroker.engine.redis;

import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.engine.StateChangeJson;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.testing.RedisServers;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The engine's connections to test Redis servers, as a node opens them, with a scheduler: for tests of the engine's
 * parts, which build those parts themselves. Closed together.
 */
final class RedisTestConnections implements AutoCloseable {
    private final ClientResources resources;
    private final RedisConnections connections;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    private RedisTestConnections(ClientResources resources, RedisConnections connections) {
        this.resources = resources;
        this.connections = connections;
    }

    /** Connects to the servers with these settings besides their addresses (for example {@code redis.timeout}). */
    static RedisTestConnections open(RedisServers redis, Map<String, String> settings) {
        Map<String, String> all = new HashMap<>();
        all.put("redis.addrs", String.join(",", redis.addresses()));
        all.putAll(settings);
        all.put("jwt.secret", "redis-test-connections-secret-of-32-bytes");
        BrokerConfig config = new ConfigLoader(Map.of()).load(Optional.empty(), all).config();
        ClientResources resources = DefaultClientResources.create();
        return new RedisTestConnections(resources, RedisConnections.open(config.redis(), resources));
    }

    RedisConnections connections() {
        return connections;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    /** The presence of the node process {@code nodeId}, as a node builds it: its changes go nowhere, no offline held. */
    RedisPresence presence(String nodeId) {
        return presence(nodeId, StateChangeListener.NONE, 0);
    }

    /** The same, its changes reported to {@code changes}, and offlines held for {@code graceMillis}. */
    RedisPresence presence(String nodeId, StateChangeListener changes, long graceMillis) {
        return presence(nodeId, changes, graceMillis, UnaryOperator.identity());
    }

    /** The same, its scripts run through {@code scripts} (which may lose or hold some on their way). */
    RedisPresence presence(String nodeId, StateChangeListener changes, long graceMillis,
                           UnaryOperator<ScriptRunner> scripts) {
        RedisKeys keys = new RedisKeys("sse");
        return new RedisPresence(connections.commands, scripts.apply(new RedisScripts(connections.commands)), keys, changes,
                new StateChangeJson(nodeId), new OfflineGrace(graceMillis, false, scheduler), 60_000,
                new EndedConnections(connections.commands, keys, 16, 60_000), nodeId, !connections.cluster);
    }

    @Override
    public void close() {
        connections.close();
        resources.shutdown(0, 2, TimeUnit.SECONDS);
        scheduler.shutdownNow();
    }
}
