package io.ssebroker.engine.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.masterreplica.MasterReplica;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.ProtocolKeyword;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.ssebroker.config.BrokerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections a node keeps to Redis, whatever the deployment: one for commands (pipelined, shared by all
 * threads) and the {@link ShardNodes} that pub/sub connections are opened to (on a standalone Redis, the command
 * connection carries the subscriptions too). Standalone for one address, Redis
 * Cluster for several, Sentinel when a master name is set: then commands follow the sentinels' view of the master
 * (Lettuce's master/replica connection listens to them), and pub/sub is reconnected on a switch by
 * {@link SentinelWatch}. Commands fail at once while disconnected, so that a publish is refused rather than queued.
 */
final class RedisConnections implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisConnections.class);
    final RedisClusterAsyncCommands<String, String> commands;
    final ShardNodes shards;
    final boolean cluster;
    private final List<AbstractRedisClient> clients;
    private final StatefulConnection<String, String> commandConnection;
    /** Opens one more connection for sends that wait for replicas (closed with the clients). */
    private final Supplier<ReplicatedSends.Route> sendConnection;

    private RedisConnections(List<AbstractRedisClient> clients, StatefulConnection<String, String> commandConnection,
                             RedisClusterAsyncCommands<String, String> commands, ShardNodes shards, boolean cluster,
                             Supplier<ReplicatedSends.Route> sendConnection) {
        this.clients = clients;
        this.commandConnection = commandConnection;
        this.commands = commands;
        this.shards = shards;
        this.cluster = cluster;
        this.sendConnection = sendConnection;
    }

    /**
     * Connections of their own for the appends of sends, which wait for {@code replicas} replicas after each
     * (blocking while they open, bounded by the timeouts).
     */
    ReplicatedSends replicatedSends(int replicas, long waitMillis) {
        List<ReplicatedSends.Route> routes = new ArrayList<>();
        for (int i = 0; i < ReplicatedSends.CONNECTIONS; i++) {
            routes.add(sendConnection.get());
        }
        return new ReplicatedSends(routes, replicas, waitMillis);
    }

    /**
     * Checks the configured addresses without connecting; a mistake there is a configuration error, fatal at start.
     */
    static void validate(BrokerConfig.Redis config) {
        Duration timeout = Duration.ofSeconds(config.timeoutSeconds());
        if (!config.sentinelMaster().isEmpty()) {
            sentinelUri(config, timeout);
            sentinelAddresses(config);
        } else {
            config.addrs().forEach(address -> uri(address, config, config.db(), timeout));
        }
    }

    /** Connects (blocking, bounded by the timeouts); fails when Redis cannot be reached or is not ready. */
    static RedisConnections open(BrokerConfig.Redis config, ClientResources resources) {
        Duration timeout = Duration.ofSeconds(config.timeoutSeconds());
        // A connection whose path died without a reset (a NAT or firewall that forgot the flow, a host gone) must
        // end within about redis.timeout, not after the kernel's retransmissions (some fifteen minutes): Lettuce
        // reconnects only when the socket ends, and a command that times out does not end it. Data left
        // unacknowledged that long ends it (TCP_USER_TIMEOUT, epoll), and so do keep-alive probes left unanswered
        // on a connection with nothing to send (a subscriptions-only link).
        SocketOptions socket = SocketOptions.builder().connectTimeout(timeout)
                .keepAlive(SocketOptions.KeepAliveOptions.builder().enable().idle(timeout)
                        .interval(Duration.ofSeconds(1)).count(3).build())
                .tcpUserTimeout(SocketOptions.TcpUserTimeoutOptions.builder().enable().tcpUserTimeout(timeout).build())
                .build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(timeout);
        ClientOptions nodeOptions = ClientOptions.builder()
                .socketOptions(socket)
                .timeoutOptions(timeouts)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                // The index of waiting commands only speeds up removing a cancelled one (a timeout, rare) and costs
                // two map updates per command.
                .useHashIndexQueue(false)
                // Shard channels need Redis 7, which speaks RESP3: no silent fall-back to RESP2, where a connection
                // with subscriptions could not run commands.
                .protocolVersion(ProtocolVersion.RESP3)
                .build();
        if (config.sentinelMaster().isEmpty() && config.addrs().size() > 1) {
            return openCluster(config, resources, timeout, socket, timeouts, nodeOptions);
        }
        boolean sentinel = !config.sentinelMaster().isEmpty();
        RedisURI uri = sentinel ? sentinelUri(config, timeout) : uri(config.addrs().get(0), config, config.db(), timeout);
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(nodeOptions);
        try {
            if (sentinel) {
                var masterReplica = MasterReplica.connect(client, Utf8Codec.INSTANCE, uri);
                return new RedisConnections(List.of(client), masterReplica, masterReplica.async(), new SingleShardNode(client, uri), false,
                        () -> ReplicatedSends.single(MasterReplica.connect(client, Utf8Codec.INSTANCE, uri)));
            }
            // A pub/sub connection runs commands too (RESP3): the one connection serves both, see SingleShardNode.
            var plain = client.connectPubSub(Utf8Codec.INSTANCE);
            if (!isClusterNode(plain)) {
                return new RedisConnections(List.of(client), plain, plain.async(), new SingleShardNode(client, uri, plain), false,
                        () -> ReplicatedSends.single(client.connect(Utf8Codec.INSTANCE)));
            }
        } catch (RuntimeException e) {
            shutdown(List.of(client));
            if (!sentinel && selectRefusedByCluster(e)) {
                return openCluster(config, resources, timeout, socket, timeouts, nodeOptions); // see there
            }
            throw e;
        }
        // One address of a Redis Cluster's node: the seed of the cluster.
        shutdown(List.of(client));
        return openCluster(config, resources, timeout, socket, timeouts, nodeOptions);
    }

    private static RedisConnections openCluster(BrokerConfig.Redis config, ClientResources resources, Duration timeout,
                                                SocketOptions socket, TimeoutOptions timeouts, ClientOptions nodeOptions) {
        // A Redis Cluster has database 0 alone, and refuses SELECT: a go-sse-broker configuration with another
        // redis.db (which the cluster ignored there) connects all the same.
        if (config.db() != 0) {
            log.warn("redis.db = {} ignored: a Redis Cluster has database 0 only", config.db());
        }
        List<RedisURI> seeds = new ArrayList<>();
        for (String address : config.addrs()) {
            seeds.add(uri(address, config, 0, timeout));
        }
        RedisClusterClient client = RedisClusterClient.create(resources, seeds);
        ClusterClientOptions.Builder options = ClusterClientOptions.builder()
                .socketOptions(socket)
                .timeoutOptions(timeouts)
                // Node connections open lazily: commands wait for them, bounded by the command timeout.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                .requestQueueSize(100_000)
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enableAllAdaptiveRefreshTriggers()
                        .enablePeriodicRefresh(Duration.ofSeconds(30))
                        .build());
        // The cluster builder does not redeclare these two.
        options.replayFilter(RedisConnections::notToReplay);
        options.useHashIndexQueue(false);
        client.setOptions(options.build());
        RedisClient nodes = RedisClient.create(resources);
        nodes.setOptions(nodeOptions);
        List<AbstractRedisClient> clients = new ArrayList<>(List.of(client, nodes));
        // Sends that wait for replicas have a client of their own, whose connections fail what they carry when they
        // drop rather than re-send it (ReplicatedSends), and connect to a master a redirection names before the
        // topology does.
        RedisClusterClient sendClient = null;
        if (config.sendReplicas() > 0) {
            sendClient = RedisClusterClient.create(resources, seeds);
            sendClient.setOptions(options.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .validateClusterNodeMembership(false)
                    .build());
            clients.add(sendClient);
        }
        RedisClusterClient sends = sendClient;
        AtomicLong lastRefresh = new AtomicLong(System.nanoTime());
        try {
            var commands = client.connect(Utf8Codec.INSTANCE);
            ShardNodes shards = new ClusterShardNodes(client, nodes, node -> uri(node, config, 0, timeout));
            return new RedisConnections(clients, commands, commands.async(), shards, true,
                    () -> ReplicatedSends.cluster(sends, sends.connect(Utf8Codec.INSTANCE), lastRefresh));
        } catch (RuntimeException e) {
            shutdown(clients);
            throw e;
        }
    }

    /**
     * Whether one configured address is a node of a Redis Cluster (a cluster's configuration endpoint, say), which
     * would answer most commands with a redirection as a standalone Redis. An {@code INFO} that the ACL user may not
     * run tells nothing: standalone, as one address says.
     */
    private static boolean isClusterNode(StatefulRedisPubSubConnection<String, String> connection) {
        try {
            return connection.sync().info("cluster").contains("cluster_enabled:1");
        } catch (RedisCommandExecutionException notAllowed) {
            return false;
        }
    }

    /**
     * The commands of each server that holds data now: every master of a Cluster that serves slots (one that failed
     * keeps its role in the topology, without slots once another took over from it), else the one server.
     */
    CompletableFuture<List<RedisClusterAsyncCommands<String, String>>> masters() {
        if (!(commandConnection instanceof StatefulRedisClusterConnection<String, String> clusterConnection)) {
            return CompletableFuture.completedFuture(List.of(commands));
        }
        List<CompletableFuture<RedisClusterAsyncCommands<String, String>>> masters = new ArrayList<>();
        for (RedisClusterNode node : clusterConnection.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.getSlots().isEmpty()) {
                masters.add(clusterConnection.getConnectionAsync(node.getNodeId()).thenApply(StatefulRedisConnection::async));
            }
        }
        return CompletableFuture.allOf(masters.toArray(CompletableFuture[]::new))
                .thenApply(done -> masters.stream().map(CompletableFuture::join).toList());
    }

    /**
     * Commands that are not sent after a reconnect when they were issued while the connection was down (with Redis
     * Cluster, Lettuce sends those once it is back, and re-sends the commands that were written but not answered when
     * a connection dropped, whatever this filter says; standalone and Sentinel connections fail both instead).
     * Every script is idempotent (a publication by its id, a registration by its connection's nonce, a removal by
     * nonce, the taking of queued presence changes by what the queue holds) and reads are harmless, so those are
     * sent: a reconnect then costs no 503. Not sent: the online-users set's SADD and SREM, which could land after
     * another node's newer change of the same user. One re-sent after it was written can land so too: an SREM is
     * checked again once answered (RedisPresence.unlist), a user listed without devices is taken out by the sweep.
     */
    private static boolean notToReplay(RedisCommand<?, ?, ?> command) {
        ProtocolKeyword type = command.getType();
        return type == CommandType.SADD || type == CommandType.SREM;
    }

    /** The client that Sentinel connections are made with (only meaningful with Sentinel). */
    RedisClient sentinelClient() {
        return (RedisClient) clients.get(0);
    }

    /** The sentinels as plain Redis addresses, for {@link SentinelWatch}. */
    static List<RedisURI> sentinelAddresses(BrokerConfig.Redis config) {
        Duration timeout = Duration.ofSeconds(config.timeoutSeconds());
        List<RedisURI> uris = new ArrayList<>();
        for (String address : config.sentinelAddrs()) {
            HostPort hostPort = HostPort.parse(address, RedisURI.DEFAULT_SENTINEL_PORT);
            uris.add(RedisURI.Builder.redis(hostPort.host(), hostPort.port()).withSsl(config.tls()).withTimeout(timeout).build());
        }
        return uris;
    }

    /** Whether connecting failed because the address is a Redis Cluster's node, which has no database but 0. */
    private static boolean selectRefusedByCluster(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && cause.getMessage().contains("SELECT is not allowed in cluster mode")) {
                return true;
            }
        }
        return false;
    }

    private static RedisURI uri(String address, BrokerConfig.Redis config, int database, Duration timeout) {
        boolean tls = config.tls() || address.startsWith("rediss://");
        HostPort hostPort = HostPort.parse(address, RedisURI.DEFAULT_REDIS_PORT);
        RedisURI.Builder builder = RedisURI.Builder.redis(hostPort.host(), hostPort.port())
                .withSsl(tls)
                .withDatabase(database)
                .withTimeout(timeout);
        credentials(builder, config);
        return builder.build();
    }

    private static RedisURI sentinelUri(BrokerConfig.Redis config, Duration timeout) {
        RedisURI.Builder builder = null;
        for (String address : config.sentinelAddrs()) {
            HostPort hostPort = HostPort.parse(address, RedisURI.DEFAULT_SENTINEL_PORT);
            builder = builder == null ? RedisURI.Builder.sentinel(hostPort.host(), hostPort.port(), config.sentinelMaster())
                    : builder.withSentinel(hostPort.host(), hostPort.port());
        }
        builder.withSsl(config.tls()).withDatabase(config.db()).withTimeout(timeout);
        credentials(builder, config);
        return builder.build();
    }

    /** host:port, with an optional redis:// or rediss:// scheme and brackets around an IPv6 host. */
    private record HostPort(String host, int port) {
        static HostPort parse(String address, int defaultPort) {
            String hostPort = address.replaceFirst("^rediss?://", "");
            int colon = hostPort.lastIndexOf(':');
            boolean hasPort = colon > 0 && !hostPort.endsWith("]") && (hostPort.startsWith("[") || hostPort.indexOf(':') == colon);
            String host = hasPort ? hostPort.substring(0, colon) : hostPort;
            int port = hasPort ? Integer.parseInt(hostPort.substring(colon + 1)) : defaultPort;
            return new HostPort(host.replace("[", "").replace("]", ""), port);
        }
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

    /**
     * Shuts every client down, each on its own: one that fails or times out leaves the others to be shut. A stop that
     * interrupted a start's retry comes here with the thread's interrupt flag set, which would end Lettuce's wait for
     * the first client with an exception before the next were shut, so the flag is set aside meanwhile and kept for
     * the caller.
     */
    private static void shutdown(List<AbstractRedisClient> clients) {
        boolean interrupted = Thread.interrupted();
        try {
            for (AbstractRedisClient client : clients) {
                try {
                    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
                } catch (RuntimeException e) {
                    log.warn("a Redis client did not shut down cleanly: {}", e.toString());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        try {
            commandConnection.close();
        } finally {
            shutdown(clients);
        }
    }
}
