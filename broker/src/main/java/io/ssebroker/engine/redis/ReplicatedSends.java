package io.ssebroker.engine.redis;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.ssebroker.engine.EngineUnavailableException;
import io.ssebroker.engine.Failures;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the appends of sends so that a send is answered only once {@code redis.send_replicas} replicas of the master
 * that appended it have the append: each script is followed on its connection by a {@code WAIT}. Redis replicates
 * asynchronously, so a master that fails, or that is frozen, replaced and back for a moment before it learns it, loses
 * the writes its replicas did not get; with this, what is lost so is a send answered 503, never one answered 200.
 *
 * <p>The sends have connections of their own: a {@code WAIT} holds its connection until the replicas answer (up to
 * {@code redis.send_replicas_wait_ms} when they do not), and every command behind it on that connection waits too; on
 * the node's shared connection it would hold registrations, heartbeats and pub/sub. The connections are taken in turn,
 * so that sends wait side by side: one acknowledgement of the replicas answers the {@code WAIT}s of all of them.
 *
 * <p>A {@code WAIT} waits for the writes of its own connection. The script and its {@code WAIT} are written one after
 * the other on one connection, and a command re-sent after a reconnect is run again: a repeated append writes
 * (publish.lua), so the {@code WAIT} after it on the new connection still covers the first run. On Redis Cluster the
 * script goes to the master that serves its slot as this node's topology says, not through Lettuce's routing, so that a
 * redirection is seen here and the script and its {@code WAIT} go again to the master it names ({@code MOVED}, or
 * {@code ASK} with {@code ASKING}); followed by Lettuce, the {@code WAIT} would be left on the master that did not
 * append.
 */
final class ReplicatedSends implements ScriptRunner {
    /** The way to the master of a key, over one connection for sends (one per master on a Cluster). */
    interface Route {
        /** The connection to the master that serves the key. */
        CompletableFuture<RedisClusterAsyncCommands<String, String>> forKey(String key);

        /** The connection to the master at an address a redirection named. */
        CompletableFuture<RedisClusterAsyncCommands<String, String>> at(String host, int port);
    }

    /** Connections for sends that each node opens. */
    static final int CONNECTIONS = 4;
    /** Redirections and retries of one send, as many as a split slot is retried elsewhere (RedisScripts). */
    private static final int MAX_TRIES = 20;
    private static final long TRYAGAIN_PAUSE_MILLIS = 25;

    private final List<Route> routes;
    private final int replicas;
    private final long waitMillis;
    private final AtomicInteger turn = new AtomicInteger();

    ReplicatedSends(List<Route> routes, int replicas, long waitMillis) {
        this.routes = List.copyOf(routes);
        this.replicas = replicas;
        this.waitMillis = waitMillis;
    }

    /** The route of one connection to a standalone Redis, or to the master Sentinel names. */
    static Route single(RedisClusterAsyncCommands<String, String> commands) {
        CompletableFuture<RedisClusterAsyncCommands<String, String>> connection = CompletableFuture.completedFuture(commands);
        return new Route() {
            @Override
            public CompletableFuture<RedisClusterAsyncCommands<String, String>> forKey(String key) {
                return connection;
            }

            @Override
            public CompletableFuture<RedisClusterAsyncCommands<String, String>> at(String host, int port) {
                return connection;
            }
        };
    }

    /** The routes of one Redis Cluster connection: its connection to each master. */
    static Route cluster(StatefulRedisClusterConnection<String, String> connection) {
        return new Route() {
            @Override
            public CompletableFuture<RedisClusterAsyncCommands<String, String>> forKey(String key) {
                int slot = SlotHash.getSlot(key);
                RedisClusterNode master = connection.getPartitions().getPartitionBySlot(slot);
                if (master == null) {
                    return CompletableFuture.failedFuture(new EngineUnavailableException("no master serves slot " + slot, null));
                }
                return connection.getConnectionAsync(master.getNodeId()).thenApply(StatefulRedisConnection::async);
            }

            @Override
            public CompletableFuture<RedisClusterAsyncCommands<String, String>> at(String host, int port) {
                return connection.getConnectionAsync(host, port).thenApply(StatefulRedisConnection::async);
            }
        };
    }

    @Override
    public CompletableFuture<List<Object>> run(RedisScripts.Script script, String[] keys, String... args) {
        Route route = routes.get(Math.floorMod(turn.getAndIncrement(), routes.size()));
        return attempt(new Attempt(route, script, keys, args), route.forKey(keys[0]), false, false, 1);
    }

    /** What every attempt of one send's append shares. */
    private record Attempt(Route route, RedisScripts.Script script, String[] keys, String[] args) {
    }

    private CompletableFuture<List<Object>> attempt(Attempt send, CompletableFuture<RedisClusterAsyncCommands<String, String>> master,
                                                    boolean asking, boolean fullSource, int tries) {
        return master.thenCompose(commands -> {
            if (asking) {
                commands.asking();
            }
            RedisFuture<List<Object>> appended = fullSource
                    ? commands.eval(send.script.source, ScriptOutputType.MULTI, send.keys, send.args)
                    : commands.evalsha(send.script.sha, ScriptOutputType.MULTI, send.keys, send.args);
            CompletableFuture<Long> confirmed = commands.waitForReplication(replicas, waitMillis).toCompletableFuture();
            return appended.toCompletableFuture().thenCompose(result -> confirmed.thenApply(count -> {
                if (count < replicas) {
                    throw new EngineUnavailableException("the message is stored on its Redis master, but " + count + " of "
                            + replicas + " replicas (redis.send_replicas) confirmed it within " + waitMillis + " ms", null);
                }
                return result;
            }));
        }).exceptionallyCompose(error -> retry(Failures.cause(error), send, master, asking, fullSource, tries));
    }

    /**
     * Sends the append again where the master's answer says it must go: in full to a master that does not know the
     * script yet, to the master a redirection names, or after a pause while the slot's keys are split by a migration.
     */
    private CompletableFuture<List<Object>> retry(Throwable cause, Attempt send,
                                                  CompletableFuture<RedisClusterAsyncCommands<String, String>> master,
                                                  boolean asking, boolean fullSource, int tries) {
        String message = cause.getMessage() == null ? "" : cause.getMessage();
        if (tries >= MAX_TRIES || cause instanceof EngineUnavailableException) {
            return CompletableFuture.failedFuture(cause);
        }
        if (cause instanceof RedisNoScriptException) {
            return attempt(send, master, asking, true, tries + 1);
        }
        if (message.startsWith("MOVED ") || message.startsWith("ASK ")) {
            String[] parts = message.split(" ");
            String address = parts.length > 2 ? parts[2] : "";
            int colon = address.lastIndexOf(':');
            if (colon > 0) {
                int port = Integer.parseInt(address.substring(colon + 1));
                return attempt(send, send.route.at(address.substring(0, colon), port), message.startsWith("ASK "), fullSource,
                        tries + 1);
            }
        }
        if (message.startsWith("TRYAGAIN")) {
            return CompletableFuture.supplyAsync(() -> null,
                            CompletableFuture.delayedExecutor(TRYAGAIN_PAUSE_MILLIS, TimeUnit.MILLISECONDS))
                    .thenCompose(paused -> attempt(send, send.route.forKey(send.keys[0]), false, fullSource, tries + 1));
        }
        return CompletableFuture.failedFuture(cause);
    }
}
