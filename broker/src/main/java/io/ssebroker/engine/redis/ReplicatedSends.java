package io.ssebroker.engine.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import io.ssebroker.engine.EngineUnavailableException;
import io.ssebroker.engine.Failures;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Runs the appends of sends so that a send is answered only once {@code redis.send_replicas} replicas of the master
 * that appended it have the append: each script is followed on its connection by a {@code WAIT}. Redis replicates
 * asynchronously, so a master that fails, or that is frozen, replaced and back for a moment before it learns it, loses
 * the writes its replicas did not get; with this, what is lost so is a send answered 503, not one answered 200 (as
 * long as the replica promoted is one that confirmed it: with as many replicas asked for as each master has, any).
 *
 * <p>A {@code WAIT} waits for the writes of its own connection, so the script and its {@code WAIT} (and an
 * {@code ASKING} before them) go out as one batch on one connection, under the connection's lock so that no command of
 * another send comes between them, and no router can split them (Sentinel's master/replica connection sends a batch to
 * one server). The connections are opened to reject commands while disconnected, which fails a batch caught by a
 * reconnect instead of re-sending it on a new connection, where a {@code WAIT} would cover nothing; a repeated append
 * writes (publish.lua), so a {@code WAIT} after a send repeated with its idempotency key still covers the first run.
 * On Redis Cluster the batch goes to the master that serves the slot as this node's topology says, not through
 * Lettuce's routing, so that a redirection is seen here and the batch goes again to the master it names
 * ({@code MOVED}, or {@code ASK} with {@code ASKING} in front).
 *
 * <p>The sends have connections of their own: a {@code WAIT} holds its connection until the replicas answer (up to
 * {@code redis.send_replicas_wait_ms} when they do not), and every command behind it on that connection waits too; on
 * the node's shared connection it would hold registrations, heartbeats and pub/sub. The connections are taken in turn,
 * so that sends on different connections wait side by side. Once a connection's {@code WAIT} found its master short
 * of replicas, or has waited longer than a {@code WAIT} can, the sends that come to it are refused at once, not sent,
 * rather than queued behind {@code WAIT}s that would wait in vain; one at a time goes through, and the first that the
 * replicas confirm ends the refusals.
 */
final class ReplicatedSends implements ScriptRunner {
    /** The way to the master of a key, over one connection for sends (one per master on a Cluster). */
    interface Route {
        /** The connection to the master that serves the key. */
        CompletableFuture<StatefulConnection<String, String>> forKey(String key);

        /** The connection to the master at an address a redirection named. */
        CompletableFuture<StatefulConnection<String, String>> at(String host, int port);

        /** A redirection said that the topology changed. */
        void moved();
    }

    /** Connections for sends that each node opens. */
    static final int CONNECTIONS = 4;
    /** The shortest time between two topology refreshes that redirections ask for. */
    private static final long REFRESH_PAUSE_MILLIS = 1000;
    /** Redirections followed in a row (between two TRYAGAIN pauses), as many as Lettuce's routing follows. */
    private static final int MAX_REDIRECTIONS = 5;

    private final List<Route> routes;
    private final int replicas;
    private final long waitMillis;
    private final AtomicInteger turn = new AtomicInteger();
    /** Per connection (a master's, over one of the routes), whether its master is short of replicas. */
    private final Map<StatefulConnection<String, String>, Replicas> replicasByConnection =
            Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * What the {@code WAIT}s on one connection found, those still out (answered in the order sent), and whether a send
     * is going through to find out again. Its lock also keeps each batch's commands together on the connection.
     */
    private final class Replicas {
        enum Admission { REFUSED, SENT, PROBE }

        /** When each {@code WAIT} still out was sent (System.nanoTime), oldest first. */
        private final ArrayDeque<Long> waitsOut = new ArrayDeque<>();
        private boolean shortOfReplicas;
        private boolean probing;

        /** Every send while the replicas confirm; one at a time, the probe, while they are short. */
        synchronized Admission admit() {
            Long oldest = waitsOut.peekFirst();
            boolean overdue = oldest != null && System.nanoTime() - oldest > TimeUnit.MILLISECONDS.toNanos(waitMillis);
            if (!shortOfReplicas && !overdue) {
                return Admission.SENT;
            }
            if (probing) {
                return Admission.REFUSED;
            }
            probing = true;
            return Admission.PROBE;
        }

        synchronized void sent() {
            waitsOut.addLast(System.nanoTime());
        }

        /** A {@code WAIT} answered (or failed): {@code enough} null when it told nothing. */
        synchronized void answered(Boolean enough) {
            waitsOut.pollFirst();
            if (enough != null) {
                shortOfReplicas = !enough;
            }
        }

        synchronized void probed() {
            probing = false;
        }
    }

    ReplicatedSends(List<Route> routes, int replicas, long waitMillis) {
        this.routes = List.copyOf(routes);
        this.replicas = replicas;
        this.waitMillis = waitMillis;
    }

    /** The route of one connection to a standalone Redis, or to the master Sentinel names. */
    static Route single(StatefulConnection<String, String> connection) {
        CompletableFuture<StatefulConnection<String, String>> ready = CompletableFuture.completedFuture(connection);
        return new Route() {
            @Override
            public CompletableFuture<StatefulConnection<String, String>> forKey(String key) {
                return ready;
            }

            @Override
            public CompletableFuture<StatefulConnection<String, String>> at(String host, int port) {
                return ready;
            }

            @Override
            public void moved() {
            }
        };
    }

    /**
     * The routes of one Redis Cluster connection of {@code client}: its connection to each master. A redirection
     * refreshes the client's topology (at most once a second), as Lettuce's routing would.
     */
    static Route cluster(RedisClusterClient client, StatefulRedisClusterConnection<String, String> connection,
                         AtomicLong lastRefresh) {
        return new Route() {
            @Override
            public CompletableFuture<StatefulConnection<String, String>> forKey(String key) {
                int slot = SlotHash.getSlot(key);
                RedisClusterNode master = connection.getPartitions().getPartitionBySlot(slot);
                if (master == null) {
                    return CompletableFuture.failedFuture(new EngineUnavailableException("no master serves slot " + slot, null));
                }
                return connection(() -> connection.getConnectionAsync(master.getNodeId()));
            }

            /** By node id when the topology knows the address (a connection that is never handed back to routing). */
            @Override
            public CompletableFuture<StatefulConnection<String, String>> at(String host, int port) {
                for (RedisClusterNode node : connection.getPartitions()) {
                    if (node.getUri() != null && node.getUri().getHost().equals(host) && node.getUri().getPort() == port) {
                        return connection(() -> connection.getConnectionAsync(node.getNodeId()));
                    }
                }
                return connection(() -> connection.getConnectionAsync(host, port));
            }

            @Override
            public void moved() {
                long now = System.nanoTime();
                long last = lastRefresh.get();
                if (now - last > TimeUnit.MILLISECONDS.toNanos(REFRESH_PAUSE_MILLIS) && lastRefresh.compareAndSet(last, now)) {
                    client.refreshPartitionsAsync();
                }
            }
        };
    }

    @Override
    public CompletableFuture<List<Object>> run(RedisScripts.Script script, String[] keys, String... args) {
        Route route = routes.get(Math.floorMod(turn.getAndIncrement(), routes.size()));
        return attempt(new Send(route, script, keys, args), route.forKey(keys[0]), Attempt.FIRST);
    }

    /** A connection Lettuce gives, or its failure as a future (a node that left the topology meanwhile throws). */
    private static CompletableFuture<StatefulConnection<String, String>> connection(
            Supplier<CompletableFuture<StatefulRedisConnection<String, String>>> lookup) {
        try {
            return lookup.get().thenApply(node -> node);
        } catch (RuntimeException gone) {
            return CompletableFuture.failedFuture(gone);
        }
    }

    /** What every attempt of one send's append shares. */
    private record Send(Route route, RedisScripts.Script script, String[] keys, String[] args) {
    }

    /**
     * How one attempt of a send goes out: with {@code ASKING} in front (after an {@code ASK}), with the script in full
     * (after a {@code NOSCRIPT}), and how many {@code TRYAGAIN} pauses and redirections in a row came before it. During
     * a migration a send goes back and forth ({@code ASK} from the old master, {@code TRYAGAIN} from the new one while
     * the script's keys are split) until the slot is handed over: the pauses are bounded as on the node's shared
     * connection, and the redirections between two pauses as Lettuce bounds them.
     */
    private record Attempt(boolean asking, boolean fullSource, int pauses, int redirections) {
        static final Attempt FIRST = new Attempt(false, false, 0, 0);

        Attempt inFull() {
            return new Attempt(asking, true, pauses, redirections);
        }

        Attempt redirected(boolean ask) {
            return new Attempt(ask, fullSource, pauses, redirections + 1);
        }

        Attempt paused() {
            return new Attempt(false, fullSource, pauses + 1, 0);
        }
    }

    private CompletableFuture<List<Object>> attempt(Send send, CompletableFuture<StatefulConnection<String, String>> master,
                                                    Attempt attempt) {
        return master.thenCompose(connection -> {
            Replicas known = replicasByConnection.computeIfAbsent(connection, c -> new Replicas());
            Replicas.Admission admission = known.admit();
            if (admission == Replicas.Admission.REFUSED) {
                return CompletableFuture.failedFuture(new EngineUnavailableException("not sent: the replicas of its Redis "
                        + "master did not confirm the sends before it within " + waitMillis + " ms (redis.send_replicas)", null));
            }
            CommandArgs<String, String> scriptArgs = new CommandArgs<>(Utf8Codec.INSTANCE)
                    .add(attempt.fullSource ? send.script.source : send.script.sha).add(send.keys.length)
                    .addKeys(send.keys).addValues(send.args);
            AsyncCommand<String, String, List<Object>> appended = new AsyncCommand<>(new Command<>(
                    attempt.fullSource ? CommandType.EVAL : CommandType.EVALSHA, new NestedMultiOutput<>(Utf8Codec.INSTANCE), scriptArgs));
            AsyncCommand<String, String, Long> confirmed = new AsyncCommand<>(new Command<>(CommandType.WAIT,
                    new IntegerOutput<>(Utf8Codec.INSTANCE), new CommandArgs<>(Utf8Codec.INSTANCE).add(replicas).add(waitMillis)));
            List<RedisCommand<String, String, ?>> batch = new ArrayList<>(3);
            if (attempt.asking) {
                batch.add(new AsyncCommand<>(new Command<>(CommandType.ASKING, new StatusOutput<>(Utf8Codec.INSTANCE))));
            }
            batch.add(appended);
            batch.add(confirmed);
            try {
                synchronized (known) {
                    connection.dispatch(batch);
                    known.sent();
                }
            } catch (RuntimeException closed) {
                if (admission == Replicas.Admission.PROBE) {
                    known.probed();
                }
                return CompletableFuture.failedFuture(closed);
            }
            confirmed.whenComplete((count, failure) -> known.answered(count == null ? null : count >= replicas));
            return appended.thenCompose(result -> confirmed.thenApply(count -> {
                if (count < replicas) {
                    throw new EngineUnavailableException("the message is stored on its Redis master, but " + count + " of "
                            + replicas + " replicas (redis.send_replicas) confirmed it within " + waitMillis + " ms", null);
                }
                return result;
            })).whenComplete((result, failure) -> {
                if (admission == Replicas.Admission.PROBE) {
                    known.probed();
                }
            });
        }).exceptionallyCompose(error -> retry(Failures.cause(error), send, master, attempt));
    }

    /**
     * Sends the append again where the master's answer says it must go: in full to a master that does not know the
     * script yet, to the master a redirection names, or after a pause while the slot's keys are split by a migration.
     */
    private CompletableFuture<List<Object>> retry(Throwable cause, Send send,
                                                  CompletableFuture<StatefulConnection<String, String>> master,
                                                  Attempt attempt) {
        String message = cause.getMessage() == null ? "" : cause.getMessage();
        if (cause instanceof EngineUnavailableException) {
            return CompletableFuture.failedFuture(cause);
        }
        if (cause instanceof RedisNoScriptException && !attempt.fullSource) {
            return attempt(send, master, attempt.inFull());
        }
        boolean moved = message.startsWith("MOVED ");
        if ((moved || message.startsWith("ASK ")) && attempt.redirections < MAX_REDIRECTIONS) {
            // "MOVED <slot> <host>:<port>"; an empty host (an endpoint Redis does not know) is not followed
            String[] parts = message.split(" ");
            String address = parts.length > 2 ? parts[2] : "";
            int colon = address.lastIndexOf(':');
            if (colon > 0 && address.substring(colon + 1).matches("\\d{1,5}")) {
                if (moved) {
                    send.route.moved();
                }
                return attempt(send, send.route.at(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
                        attempt.redirected(!moved));
            }
        }
        if (message.startsWith("TRYAGAIN") && attempt.pauses < RedisScripts.TRYAGAIN_TRIES) {
            return CompletableFuture.supplyAsync(() -> null,
                            CompletableFuture.delayedExecutor(RedisScripts.TRYAGAIN_PAUSE_MILLIS, TimeUnit.MILLISECONDS))
                    .thenCompose(paused -> attempt(send, send.route.forKey(send.keys[0]), attempt.paused()));
        }
        return CompletableFuture.failedFuture(cause);
    }
}
