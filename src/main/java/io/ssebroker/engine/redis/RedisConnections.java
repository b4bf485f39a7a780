package io.ssebroker.engine.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.ssebroker.config.BrokerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The two connections a node keeps to Redis, whatever the deployment: one for commands (pipelined, shared by all
 * threads) and one for pub/sub. Standalone for one address, Redis Cluster for several, Sentinel when a master
 * name is set. Commands fail at once while disconnected, so that a publish is refused rather than queued.
 */
final class RedisConnections implements AutoCloseable {
    final RedisClusterAsyncCommands<String, String> commands;
    final StatefulRedisPubSubConnection<String, String> pubSub;
    final boolean cluster;
    private final AbstractRedisClient client;
    private final StatefulConnection<String, String> commandConnection;

    private RedisConnections(AbstractRedisClient client, StatefulConnection<String, String> commandConnection,
                             RedisClusterAsyncCommands<String, String> commands,
                             StatefulRedisPubSubConnection<String, String> pubSub, boolean cluster) {
        this.client = client;
        this.commandConnection = commandConnection;
        this.commands = commands;
        this.pubSub = pubSub;
        this.cluster = cluster;
    }

    static RedisConnections open(BrokerConfig.Redis config, ClientResources resources) {
        Duration timeout = Duration.ofSeconds(config.timeoutSeconds());
        SocketOptions socket = SocketOptions.builder().connectTimeout(timeout).keepAlive(true).build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(timeout);
        if (config.sentinelMaster().isEmpty() && config.addrs().size() > 1) {
            List<RedisURI> seeds = new ArrayList<>();
            for (String address : config.addrs()) {
                seeds.add(uri(address, config, timeout));
            }
            RedisClusterClient client = RedisClusterClient.create(resources, seeds);
            client.setOptions(ClusterClientOptions.builder()
                    .socketOptions(socket)
                    .timeoutOptions(timeouts)
                    // Node connections open lazily: commands wait for them, bounded by the command timeout.
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                    .requestQueueSize(100_000)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .enablePeriodicRefresh(Duration.ofSeconds(30))
                            .build())
                    .build());
            var commands = client.connect(StringCodec.UTF8);
            return new RedisConnections(client, commands, commands.async(), client.connectPubSub(StringCodec.UTF8), true);
        }
        RedisURI uri = config.sentinelMaster().isEmpty() ? uri(config.addrs().get(0), config, timeout) : sentinelUri(config, timeout);
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .socketOptions(socket)
                .timeoutOptions(timeouts)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .build());
        var commands = client.connect(StringCodec.UTF8);
        return new RedisConnections(client, commands, commands.async(), client.connectPubSub(StringCodec.UTF8), false);
    }

    boolean isOpen() {
        return commandConnection.isOpen() && pubSub.isOpen();
    }

    private static RedisURI uri(String address, BrokerConfig.Redis config, Duration timeout) {
        boolean tls = config.tls() || address.startsWith("rediss://");
        String hostPort = address.replaceFirst("^rediss?://", "");
        int colon = hostPort.lastIndexOf(':');
        boolean hasPort = colon > 0 && !hostPort.endsWith("]");
        String host = hasPort ? hostPort.substring(0, colon) : hostPort;
        int port = hasPort ? Integer.parseInt(hostPort.substring(colon + 1)) : RedisURI.DEFAULT_REDIS_PORT;
        RedisURI.Builder builder = RedisURI.Builder.redis(host.replace("[", "").replace("]", ""), port)
                .withSsl(tls)
                .withDatabase(config.db())
                .withTimeout(timeout);
        credentials(builder, config);
        return builder.build();
    }

    private static RedisURI sentinelUri(BrokerConfig.Redis config, Duration timeout) {
        RedisURI.Builder builder = null;
        for (String address : config.sentinelAddrs()) {
            String hostPort = address.replaceFirst("^rediss?://", "");
            int colon = hostPort.lastIndexOf(':');
            String host = colon > 0 ? hostPort.substring(0, colon) : hostPort;
            int port = colon > 0 ? Integer.parseInt(hostPort.substring(colon + 1)) : RedisURI.DEFAULT_SENTINEL_PORT;
            builder = builder == null ? RedisURI.Builder.sentinel(host, port, config.sentinelMaster())
                    : builder.withSentinel(host, port);
        }
        builder.withSsl(config.tls()).withDatabase(config.db()).withTimeout(timeout);
        credentials(builder, config);
        return builder.build();
    }

    private static void credentials(RedisURI.Builder builder, BrokerConfig.Redis config) {
        if (!config.password().isEmpty()) {
            if (config.username().isEmpty()) {
                builder.withPassword(config.password().toCharArray());
            } else {
                builder.withAuthentication(config.username(), config.password());
            }
        }
    }

    @Override
    public void close() {
        pubSub.close();
        commandConnection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
