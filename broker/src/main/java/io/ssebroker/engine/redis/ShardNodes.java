package io.ssebroker.engine.redis;

import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Where the shard channels of a deployment are served: one node for standalone and Sentinel (the current master),
 * the slot's master for Redis Cluster. Nodes are named by {@code host:port}, as Redis names them in a redirection.
 */
interface ShardNodes {

    /** The node that serves this channel according to the latest topology this node knows. */
    String ownerOf(String channel);

    /** A pub/sub connection to a node, new or lent (the subscriptions on it belong to the caller until released). */
    CompletableFuture<StatefulRedisPubSubConnection<String, String>> connect(String node);

    /**
     * The caller is done with a connection from {@link #connect}: it is closed, or, if it was lent, unsubscribed from
     * the given channels (all the caller subscribed to on it) and given back.
     */
    default void release(StatefulRedisPubSubConnection<String, String> connection, Set<String> channels) {
        connection.closeAsync();
    }

    /**
     * Whether commands sent through the node's command connection travel on this connection too, after what was sent
     * on it before: Redis then runs them in the order sent (a standalone Redis's one connection).
     */
    default boolean carriesCommands(StatefulRedisPubSubConnection<String, String> connection) {
        return false;
    }

    /** Reads the topology again (after a redirection or a lost subscription); coalesced with one in flight. */
    CompletableFuture<Void> refreshTopology();
}
