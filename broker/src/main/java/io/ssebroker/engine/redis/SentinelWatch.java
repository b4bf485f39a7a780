package io.ssebroker.engine.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens to every sentinel for {@code +switch-master} of the configured master. A failover ordered with
 * {@code SENTINEL FAILOVER} leaves the old master running (as a replica), so no connection drops: without this,
 * pub/sub would stay subscribed on a node that no longer receives the publishes. Runs {@code switched} on a
 * Lettuce I/O thread; each sentinel reports the same switch, so the action must be idempotent.
 */
final class SentinelWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SentinelWatch.class);
    private static final String SWITCH_MASTER = "+switch-master";

    private final List<StatefulRedisPubSubConnection<String, String>> connections = new ArrayList<>();

    SentinelWatch(RedisClient client, List<RedisURI> sentinels, String masterName, Runnable switched) {
        for (RedisURI sentinel : sentinels) {
            client.connectPubSubAsync(Utf8Codec.INSTANCE, sentinel).whenComplete((connection, error) -> {
                if (error != null) {
                    log.warn("cannot watch sentinel {}:{} for failovers: {}", sentinel.getHost(), sentinel.getPort(),
                            error.getMessage());
                    return;
                }
                synchronized (connections) {
                    connections.add(connection);
                }
                connection.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(String channel, String payload) {
                        // "<master name> <old ip> <old port> <new ip> <new port>"
                        if (SWITCH_MASTER.equals(channel) && payload.startsWith(masterName + " ")) {
                            log.warn("sentinel reports a new master: {}", payload);
                            switched.run();
                        }
                    }
                });
                connection.async().subscribe(SWITCH_MASTER);
            });
        }
    }

    @Override
    public void close() {
        synchronized (connections) {
            connections.forEach(StatefulRedisPubSubConnection::close);
        }
    }
}
