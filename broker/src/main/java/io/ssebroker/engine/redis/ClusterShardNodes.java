package io.ssebroker.engine.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Redis Cluster: a channel is served by the master of its slot. Pub/sub connections are plain connections to one
 * node each (not Lettuce's cluster pub/sub, whose subscription state does not follow a slot that moves), so that the
 * supervisor knows exactly where each channel is subscribed.
 */
final class ClusterShardNodes implements ShardNodes {
    private final RedisClusterClient cluster;
    private final RedisClient nodes;
    private final Function<String, RedisURI> uriOf;
    private CompletableFuture<Void> refreshing;

    /** @param uriOf the URI (credentials, TLS, timeout) of a node given as host:port */
    ClusterShardNodes(RedisClusterClient cluster, RedisClient nodes, Function<String, RedisURI> uriOf) {
        this.cluster = cluster;
        this.nodes = nodes;
        this.uriOf = uriOf;
    }

    @Override
    public String ownerOf(String channel) {
        RedisClusterNode master = cluster.getPartitions().getMasterBySlot(SlotHash.getSlot(channel));
        if (master == null) {
            return "";
        }
        return master.getUri().getHost() + ":" + master.getUri().getPort();
    }

    @Override
    public CompletableFuture<StatefulRedisPubSubConnection<String, String>> connect(String node) {
        return nodes.connectPubSubAsync(Utf8Codec.INSTANCE, uriOf.apply(asAddress(node))).toCompletableFuture();
    }

    /**
     * A node's name as a configured address: Redis names a node {@code host:port} without brackets, also where the
     * host is an IPv6 address ({@code MOVED 8614 ::1:7002}), while an address puts such a host in brackets.
     */
    static String asAddress(String node) {
        int colon = node.lastIndexOf(':');
        String host = node.substring(0, Math.max(colon, 0));
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" + node.substring(colon) : node;
    }

    @Override
    public synchronized CompletableFuture<Void> refreshTopology() {
        if (refreshing == null || refreshing.isDone()) {
            refreshing = cluster.refreshPartitionsAsync().toCompletableFuture();
        }
        return refreshing;
    }
}
