package io.ssebroker.engine.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Standalone and Sentinel: every channel is served by the one master. With Sentinel, each new connection asks the
 * sentinels for the current master, so reconnecting is how pub/sub follows a failover.
 *
 * <p>On a standalone Redis the node's command connection speaks RESP3, which lets one connection carry commands and
 * shard-channel subscriptions together; it is lent for the subscriptions once. A message the node publishes to a user
 * it serves then comes back in the same read as the script's answer, instead of in a second read on a second
 * connection (one system call fewer on each side per message). Once the subscriptions on it are given up (a probe that
 * did not come back: the connection is suspect), it serves commands only, and the subscriptions move to connections
 * of their own.
 */
final class SingleShardNode implements ShardNodes {
    static final String MASTER = "master";

    private final RedisClient client;
    private final RedisURI uri;
    /** The command connection, or null (Sentinel: commands follow the master through another kind of connection). */
    private final StatefulRedisPubSubConnection<String, String> commandConnection;
    private final AtomicBoolean lent = new AtomicBoolean();

    /** Pub/sub on connections of its own. */
    SingleShardNode(RedisClient client, RedisURI uri) {
        this(client, uri, null);
    }

    /** Pub/sub on the given command connection first. */
    SingleShardNode(RedisClient client, RedisURI uri, StatefulRedisPubSubConnection<String, String> commandConnection) {
        this.client = client;
        this.uri = uri;
        this.commandConnection = commandConnection;
    }

    @Override
    public String ownerOf(String channel) {
        return MASTER;
    }

    @Override
    public CompletableFuture<StatefulRedisPubSubConnection<String, String>> connect(String node) {
        if (commandConnection != null && lent.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(commandConnection);
        }
        return client.connectPubSubAsync(Utf8Codec.INSTANCE, uri).toCompletableFuture();
    }

    /** The command connection stays open: only its subscriptions end. */
    @Override
    public void release(StatefulRedisPubSubConnection<String, String> connection, Set<String> channels) {
        if (connection != commandConnection) {
            connection.closeAsync();
            return;
        }
        connection.addListener(new Leftovers());
        if (!channels.isEmpty()) {
            connection.async().sunsubscribe(channels.toArray(String[]::new));
        }
    }

    @Override
    public boolean carriesCommands(StatefulRedisPubSubConnection<String, String> connection) {
        return connection != null && connection == commandConnection;
    }

    @Override
    public CompletableFuture<Void> refreshTopology() {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Listens to the command connection once its subscriptions were given up: a subscription that Redis confirms on it
     * again, or a message that still reaches it, unsubscribes its channel there. Lettuce forgets a channel only once
     * Redis confirms its unsubscription, so one refused while the connection was down is subscribed again when the
     * connection comes back. Nothing else listens to it; it would only cost traffic.
     */
    private final class Leftovers extends RedisPubSubAdapter<String, String> {
        @Override
        public void ssubscribed(String channel, long count) {
            commandConnection.async().sunsubscribe(channel);
        }

        @Override
        public void smessage(String channel, String message) {
            commandConnection.async().sunsubscribe(channel);
        }
    }
}
