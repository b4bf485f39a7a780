package io.ssebroker.engine.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.concurrent.CompletableFuture;

/**
 * Standalone and Sentinel: every channel is served by the one master. With Sentinel, each new connection asks the
 * sentinels for the current master, so reconnecting is how pub/sub follows a failover.
 */
final class SingleShardNode implements ShardNodes {
    static final String MASTER = "master";

    private final RedisClient client;
    private final RedisURI uri;

    SingleShardNode(RedisClient client, RedisURI uri) {
        this.client = client;
        this.uri = uri;
    }

    @Override
    public String ownerOf(String channel) {
        return MASTER;
    }

    @Override
    public CompletableFuture<StatefulRedisPubSubConnection<String, String>> connect(String node) {
        return client.connectPubSubAsync(Utf8Codec.INSTANCE, uri).toCompletableFuture();
    }

    @Override
    public CompletableFuture<Void> refreshTopology() {
        return CompletableFuture.completedFuture(null);
    }
}
