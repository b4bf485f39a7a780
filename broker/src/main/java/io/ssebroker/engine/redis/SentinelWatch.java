package io.ssebroker.engine.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
    /** The pauses before connecting again to a sentinel that could not be reached: doubling from the first. */
    private static final long FIRST_PAUSE_MILLIS = 1000;
    private static final long MAX_PAUSE_MILLIS = 30_000;

    private final RedisClient client;
    private final String masterName;
    private final Runnable switched;
    private final ScheduledExecutorService scheduler;
    private final List<StatefulRedisPubSubConnection<String, String>> connections = new ArrayList<>();
    private boolean closed;

    /**
     * Connects to every sentinel; one that cannot be reached is tried again, with pauses doubling up to half a minute,
     * until it is (once connected, Lettuce reconnects it and subscribes again by itself).
     */
    SentinelWatch(RedisClient client, List<RedisURI> sentinels, String masterName, Runnable switched,
                  ScheduledExecutorService scheduler) {
        this.client = client;
        this.masterName = masterName;
        this.switched = switched;
        this.scheduler = scheduler;
        sentinels.forEach(sentinel -> watch(sentinel, FIRST_PAUSE_MILLIS));
    }

    private void watch(RedisURI sentinel, long pauseMillis) {
        synchronized (connections) {
            if (closed) {
                return;
            }
        }
        client.connectPubSubAsync(Utf8Codec.INSTANCE, sentinel).whenComplete((connection, error) -> {
            if (error != null) {
                if (pauseMillis == FIRST_PAUSE_MILLIS) {
                    log.warn("cannot watch sentinel {}:{} for failovers, trying again: {}", sentinel.getHost(),
                            sentinel.getPort(), error.getMessage());
                }
                try {
                    scheduler.schedule(() -> watch(sentinel, Math.min(pauseMillis * 2, MAX_PAUSE_MILLIS)),
                            pauseMillis, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException stopped) {
                    // the engine is closing
                }
                return;
            }
            synchronized (connections) {
                if (closed) {
                    connection.closeAsync();
                    return;
                }
                connections.add(connection);
            }
            if (pauseMillis > FIRST_PAUSE_MILLIS) {
                log.info("watching sentinel {}:{} for failovers", sentinel.getHost(), sentinel.getPort());
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

    @Override
    public void close() {
        synchronized (connections) {
            closed = true;
            connections.forEach(StatefulRedisPubSubConnection::close);
        }
    }
}
