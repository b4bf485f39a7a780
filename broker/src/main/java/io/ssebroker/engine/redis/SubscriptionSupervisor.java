package io.ssebroker.engine.redis;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.ssebroker.engine.EngineUnavailableException;
import io.ssebroker.engine.Failures;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of this node's shard-channel subscriptions. Pub/sub is treated as unreliable: for every channel the
 * node needs, the supervisor knows at which node it is subscribed and whether that subscription is live, and
 * repairs it when
 * <ul>
 *   <li>Redis unsubscribes it (a {@code sunsubscribe} nobody asked for: its slot moved),</li>
 *   <li>the connection it lives on reconnects (subscriptions made before may be gone, messages were missed),</li>
 *   <li>the topology says its slot has another master now (a failover, a resharding: on Lettuce's topology change
 *       event, every tick while a connection is down, and every ten seconds besides),</li>
 *   <li>a probe published on it does not come back (a connection that is silently dead),</li>
 *   <li>a Sentinel switch makes another node the master.</li>
 * </ul>
 * A repair subscribes at the slot's current owner (following a {@code MOVED} answer), then tells the handler, which
 * reads the channel's stream from the last offset delivered: a gap in pub/sub costs a read, never a message.
 *
 * <p>Threads: every state change runs on the node's Redis I/O thread, which Lettuce's connections run on too: their
 * replies and events are handled where they arrive; calls from other threads (a registration's subscribe) are handed
 * over. Messages go straight to the handler.
 */
final class SubscriptionSupervisor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SubscriptionSupervisor.class);
    /** Payloads that start with this are probes; stream messages start with a stream id (a digit). */
    static final String PROBE = "probe\n";
    private static final long TICK_MILLIS = 1000;
    private static final int PROBE_EVERY_TICKS = 2;
    /**
     * How often the owners of all channels are checked against the topology when nothing is wrong: Lettuce reports
     * topology changes, so this is a safety net, not the way moves are noticed (it costs a hash per channel).
     */
    private static final int OWNERS_EVERY_TICKS = 10;
    private static final long PROBE_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final long MAX_RETRY_MILLIS = 2000;

    /** What the supervisor reports to the node. */
    interface Handler {
        /** A message on a subscribed channel; called on a Lettuce I/O thread, must not block. */
        void message(String channel, String payload);

        /** The channel is live again after a time in which its messages may have been lost. */
        void resubscribed(String channel);
    }

    private enum State { SUBSCRIBING, LIVE, REPAIRING }

    /**
     * A channel being subscribed for a caller. {@code commandsAfter} completes once a command sent through the command
     * connection runs after the subscription: at once where the subscription was handed to that very connection (Redis
     * runs one connection's commands in the order sent), else when the subscription is live. {@code live} completes
     * when it is first live. Both fail after the timeout.
     */
    record Subscribing(CompletableFuture<Void> commandsAfter, CompletableFuture<Void> live) {
    }

    /** One channel the node needs. */
    private static final class Subscription {
        final String channel;
        final CompletableFuture<Void> firstLive = new CompletableFuture<>();
        /** Completes when its first SSUBSCRIBE was handed to the connection that carries the commands too. */
        final CompletableFuture<Void> sentWithCommands = new CompletableFuture<>();
        State state = State.SUBSCRIBING;
        /** Where the last attempt went, or where it is live. */
        Link link;
        /** A node named by a redirection: tried before the topology's owner. */
        String redirectedTo;
        int attempt;
        int failures;
        boolean wasLive;
        String reason = "subscribing";

        Subscription(String channel) {
            this.channel = channel;
        }
    }

    /** A pub/sub connection to one node and the channels live on it. Used on the supervisor's thread only. */
    private final class Link {
        final String node;
        /** Complete once connected and listened to: nothing is subscribed before the listeners are in place. */
        final CompletableFuture<StatefulRedisPubSubConnection<String, String>> connection;
        final LinkedHashSet<String> live = new LinkedHashSet<>();
        /** The channels subscribed to (or being subscribed to) on the connection: live or not, until unsubscribed. */
        private final Set<String> subscribed = new HashSet<>();
        /** Completes when the commands sent so far were handed to the connection: commands go out in order. */
        private CompletableFuture<StatefulRedisPubSubConnection<String, String>> issued;
        boolean down;
        /**
         * The probe in flight (null when none), the channel it was published on, and whether and when Redis answered
         * its publish: a Redis that stalls holds the probe and its publish alike, and says nothing of the link.
         */
        String probe;
        String probeChannel;
        boolean probePublished;
        long probePublishedNanos;

        private final Events events = new Events(this);
        private final ConnectionEvents connectionEvents = new ConnectionEvents(this);

        Link(String node) {
            this.node = node;
            this.connection = shards.connect(node).thenApply(opened -> {
                opened.addListener(events);
                opened.addListener(connectionEvents);
                return opened;
            });
            this.issued = connection;
        }

        /** Subscribes; {@code sentWithCommands} runs as the SSUBSCRIBE is handed to a connection that carries commands. */
        CompletableFuture<Void> subscribe(String channel, Runnable sentWithCommands) {
            subscribed.add(channel);
            return send(connection -> {
                CompletionStage<Void> reply = connection.async().ssubscribe(channel);
                if (shards.carriesCommands(connection) && !reply.toCompletableFuture().isCompletedExceptionally()) {
                    sentWithCommands.run();
                }
                return reply;
            });
        }

        void unsubscribe(String channel) {
            subscribed.remove(channel);
            send(connection -> connection.async().sunsubscribe(channel));
        }

        /**
         * Redis confirmed a subscription to the channel. One the node no longer wants is unsubscribed: Lettuce forgets
         * a channel only once Redis confirms its unsubscription, so a SUNSUBSCRIBE refused while the connection was
         * down leaves the channel to be subscribed again when Lettuce reconnects, in whichever order with the node's
         * own commands, and its messages would keep coming to a node that has no use for them.
         */
        void confirmed(String channel) {
            if (!subscribed.contains(channel)) {
                unsubscribe(channel);
            }
        }

        /**
         * The channel is no longer live here. A probe published on it cannot come back (it was unsubscribed before the
         * probe arrived, or the probe went to its slot's new owner): it is forgotten rather than taken for a link that
         * died.
         */
        void notLive(String channel) {
            live.remove(channel);
            if (channel.equals(probeChannel)) {
                forgetProbe();
            }
        }

        void forgetProbe() {
            probe = null;
            probeChannel = null;
            probePublished = false;
        }

        /** Sends a command after the ones sent before it (a SUNSUBSCRIBE never overtakes its SSUBSCRIBE). */
        private <T> CompletableFuture<T> send(Function<StatefulRedisPubSubConnection<String, String>, CompletionStage<T>> command) {
            CompletableFuture<T> result = new CompletableFuture<>();
            issued = issued.thenApply(opened -> {
                try {
                    command.apply(opened).whenComplete((value, error) -> {
                        if (error != null) {
                            result.completeExceptionally(error);
                        } else {
                            result.complete(value);
                        }
                    });
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
                return opened;
            });
            issued.whenComplete((opened, error) -> {
                if (error != null) {
                    result.completeExceptionally(error);
                }
            });
            return result;
        }

        /** Stops listening to the connection and hands it back with what is subscribed on it (a lent one lives on). */
        void close() {
            Set<String> channels = Set.copyOf(subscribed);
            connection.thenAccept(opened -> {
                opened.removeListener(events);
                opened.removeListener(connectionEvents);
                shards.release(opened, channels);
            });
        }
    }

    private final ShardNodes shards;
    private final Handler handler;
    private final BiFunction<String, String, CompletableFuture<Long>> publish;
    private final String nodeId;
    private final Duration timeout;
    /** The supervisor's thread: the node's Redis I/O thread, which its pub/sub connections run on too. */
    private final EventExecutor executor;
    private final ScheduledFuture<?> ticking;
    private volatile boolean closed;
    private final Map<String, Subscription> subscriptions = new HashMap<>();
    private final Map<String, Link> links = new HashMap<>();
    private long probes;
    private long ticks;

    /**
     * @param publish publishes a payload on a shard channel through the command connection (for probes)
     * @param nodeId  this process's name, in its probes
     * @param timeout how long a caller of {@link #subscribe} waits for the first subscription
     * @param thread  the thread every state change runs on (the node's Redis I/O thread)
     */
    SubscriptionSupervisor(ShardNodes shards, Handler handler, BiFunction<String, String, CompletableFuture<Long>> publish,
                           String nodeId, Duration timeout, RedisIoThread thread) {
        this.executor = thread.executor();
        this.shards = shards;
        this.handler = handler;
        this.publish = publish;
        this.nodeId = nodeId;
        this.timeout = timeout;
        this.ticking = executor.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Keeps the channel subscribed from now on until {@link #unsubscribe}. The futures fail after the timeout (the
     * supervisor goes on trying while the channel is needed).
     */
    Subscribing subscribe(String channel) {
        CompletableFuture<Void> firstLive = new CompletableFuture<>();
        CompletableFuture<Void> sentWithCommands = new CompletableFuture<>();
        inCallOrder(() -> {
            Subscription existing = subscriptions.get(channel);
            Subscription subscription = existing != null ? existing : newSubscription(channel);
            if (existing == null) {
                subscription.sentWithCommands.thenRun(() -> sentWithCommands.complete(null));
            }
            // Run as it first goes live (attached before that, to a new subscription): its attempt is the one that did.
            subscription.firstLive.whenComplete((done, error) -> {
                if (sentWithCommands.isDone() && subscription.attempt != 1) {
                    // What followed the first SSUBSCRIBE may have run while the channel was not subscribed after all
                    // (that attempt failed, or its connection was given up): the caller starts again.
                    firstLive.completeExceptionally(new EngineUnavailableException(
                            "the subscription to " + channel + " was made again before it was live", null));
                } else {
                    firstLive.complete(null);
                }
            });
        });
        CompletableFuture<Void> live = firstLive.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).exceptionallyCompose(error ->
                CompletableFuture.failedFuture(new EngineUnavailableException(Failures.cause(error) instanceof TimeoutException
                        ? "Redis: subscribing to " + channel + " took longer than " + timeout.toMillis() + " ms"
                        : "Redis: " + Failures.cause(error).getMessage(), error)));
        // Whichever comes first: the SSUBSCRIBE handed to the command connection (on the Redis I/O thread, so that a
        // command sent by what waits on it goes out right behind it, on the same connection), or the outcome of live.
        return new Subscribing(sentWithCommands.acceptEither(live, done -> { }), live);
    }

    /** The channel is no longer needed. */
    void unsubscribe(String channel) {
        inCallOrder(() -> {
            Subscription subscription = subscriptions.remove(channel);
            if (subscription == null || subscription.link == null) {
                return;
            }
            Link link = subscription.link;
            link.notLive(channel);
            link.unsubscribe(channel);
        });
    }

    /** The cluster's topology changed: channels whose slot has another master now move there. */
    void topologyChanged() {
        onSupervisor(this::followOwners);
    }

    /** Every connection is opened again (a Sentinel switch: a new connection finds the new master). */
    void reconnectAll(String reason) {
        onSupervisor(() -> new ArrayList<>(links.values()).forEach(link -> drop(link, reason)));
    }

    /** Empty while every needed channel is live; else why not (for readiness). */
    CompletableFuture<Optional<String>> health() {
        return CompletableFuture.supplyAsync(() -> {
            List<String> pending = new ArrayList<>();
            for (Subscription subscription : subscriptions.values()) {
                if (subscription.state != State.LIVE && subscription.wasLive) {
                    pending.add(subscription.channel + " (" + subscription.reason + ")");
                }
            }
            for (Link link : links.values()) {
                if (link.down && !link.live.isEmpty()) {
                    pending.add(link.live.size() + " channel(s) at " + link.node + " (connection lost, reconnecting)");
                }
            }
            if (pending.isEmpty()) {
                return Optional.<String>empty();
            }
            return Optional.of("pub/sub repair pending for " + pending.size() + " channel(s), e.g. " + pending.get(0));
        }, executor);
    }

    /** A channel needed from now on: known before its first attempt, whose answer may come at once (a refusal). */
    private Subscription newSubscription(String channel) {
        Subscription subscription = new Subscription(channel);
        subscriptions.put(channel, subscription);
        attempt(subscription);
        return subscription;
    }

    private void attempt(Subscription subscription) {
        int attempt = ++subscription.attempt;
        String node = subscription.redirectedTo != null ? subscription.redirectedTo : shards.ownerOf(subscription.channel);
        subscription.redirectedTo = null;
        if (node.isEmpty()) {
            failed(subscription, attempt, null, "no master serves its slot");
            return;
        }
        Link link = links.computeIfAbsent(node, Link::new);
        subscription.link = link;
        link.subscribe(subscription.channel, () -> subscription.sentWithCommands.complete(null))
                .whenComplete((done, error) -> onSupervisor(() -> {
                    if (subscriptions.get(subscription.channel) != subscription || subscription.attempt != attempt) {
                        return; // unsubscribed meanwhile, or a later attempt took over
                    }
                    if (subscription.link != link) {
                        // its link was dropped meanwhile: subscribe where the channel is served, after the pause of a
                        // failure if this attempt failed too (else every subscription of a link refused while Redis is
                        // down would try again at once, each time one of them drops the next link)
                        if (error != null) {
                            failed(subscription, attempt, null, String.valueOf(Failures.cause(error).getMessage()));
                        } else {
                            attempt(subscription);
                        }
                        return;
                    }
                    if (error != null) {
                        failed(subscription, attempt, link, String.valueOf(Failures.cause(error).getMessage()));
                    } else {
                        live(subscription, link);
                    }
                }));
    }

    private void live(Subscription subscription, Link link) {
        boolean gap = subscription.wasLive;
        subscription.state = State.LIVE;
        subscription.wasLive = true;
        subscription.failures = 0;
        subscription.reason = "live";
        link.live.add(subscription.channel);
        subscription.firstLive.complete(null);
        if (gap) {
            log.info("resubscribed to {} at {}", subscription.channel, link.node);
            handler.resubscribed(subscription.channel);
        }
    }

    private void failed(Subscription subscription, int attempt, Link link, String error) {
        subscription.reason = "subscribing failed: " + error;
        if (error.startsWith("MOVED ") || error.startsWith("ASK ")) {
            String[] parts = error.split(" ");
            subscription.redirectedTo = parts.length > 2 ? parts[2] : null;
        } else if (link != null && (link.connection.isCompletedExceptionally() || link.down)) {
            drop(link, "cannot connect: " + error);
        }
        // Whatever the failure (a redirect, a master away that may have been replaced, CLUSTERDOWN, a node that left),
        // the topology may know better; with a link dropped, no tick would look at it for that link.
        shards.refreshTopology();
        long delay = Math.min(MAX_RETRY_MILLIS, 50L << Math.min(subscription.failures++, 6));
        if (subscription.failures == 3) {
            log.warn("subscribing to {} failed {} times, still trying: {}", subscription.channel, subscription.failures, error);
        }
        // The thread outlives the supervisor (it is the node's Redis I/O thread): a retry due after close does nothing.
        executor.schedule(() -> {
            if (!closed && subscriptions.get(subscription.channel) == subscription && subscription.attempt == attempt) {
                attempt(subscription);
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    /** The live subscription of this channel at this link is gone: subscribe again where the channel is served. */
    private void lost(Link link, String channel, String reason) {
        Subscription subscription = subscriptions.get(channel);
        link.notLive(channel);
        if (subscription == null || subscription.link != link || subscription.state != State.LIVE) {
            return;
        }
        log.warn("subscription to {} at {} lost: {}", channel, link.node, reason);
        subscription.state = State.REPAIRING;
        subscription.reason = reason;
        attempt(subscription);
    }

    /** Closes a link (dead, or on a node that lost its role) and moves its channels. */
    private void drop(Link link, String reason) {
        if (links.get(link.node) == link) {
            links.remove(link.node);
        }
        link.close();
        for (String channel : new ArrayList<>(link.live)) {
            lost(link, channel, reason);
        }
        // Subscriptions still trying on this link move too.
        for (Subscription subscription : subscriptions.values()) {
            if (subscription.link == link && subscription.state != State.LIVE) {
                subscription.link = null;
            }
        }
    }

    private void followOwners() {
        for (Subscription subscription : new ArrayList<>(subscriptions.values())) {
            if (subscription.state != State.LIVE || subscription.link == null) {
                continue;
            }
            String owner = shards.ownerOf(subscription.channel);
            if (!owner.isEmpty() && !owner.equals(subscription.link.node)) {
                Link old = subscription.link;
                old.unsubscribe(subscription.channel);
                lost(old, subscription.channel, "its slot moved to " + owner);
            }
        }
        for (Link link : new ArrayList<>(links.values())) {
            boolean used = subscriptions.values().stream().anyMatch(subscription -> subscription.link == link);
            if (!used) {
                links.remove(link.node);
                link.close();
            }
        }
    }

    /** Once a second: probe each link in turn, find links that died silently, and follow the topology now and then. */
    private void tick() {
        try {
            ticks++;
            if (ticks % OWNERS_EVERY_TICKS == 0 || links.values().stream().anyMatch(link -> link.down)) {
                followOwners(); // every tick while a master is away: its replacement is found as soon as it is known
            }
            for (Link link : new ArrayList<>(links.values())) {
                if (link.live.isEmpty()) {
                    continue;
                }
                if (link.down) {
                    shards.refreshTopology(); // a master that stays away may have been replaced
                    continue;
                }
                if (link.probe != null) {
                    if (link.probePublished && System.nanoTime() - link.probePublishedNanos > PROBE_DEADLINE_NANOS) {
                        drop(link, "a probe did not come back within " + TimeUnit.NANOSECONDS.toSeconds(PROBE_DEADLINE_NANOS)
                                + " s of its publish");
                    }
                    continue;
                }
                if (ticks % PROBE_EVERY_TICKS == 0) {
                    probe(link);
                }
            }
        } catch (RuntimeException e) {
            log.warn("pub/sub supervision failed this round", e);
        }
    }

    /** Publishes a probe on one of the link's channels, each in turn; it must come back on this link. */
    private void probe(Link link) {
        String channel = link.live.iterator().next();
        link.live.remove(channel);
        link.live.add(channel);
        String probe = nodeId + "\n" + (++probes);
        link.probe = probe;
        link.probeChannel = channel;
        publish.apply(channel, PROBE + probe).whenComplete((receivers, error) -> onSupervisor(() -> {
            if (!probe.equals(link.probe)) {
                return; // back already, or forgotten
            }
            if (error != null) {
                link.forgetProbe(); // the command path failed: that says nothing about the subscription
            } else {
                link.probePublished = true;
                link.probePublishedNanos = System.nanoTime();
            }
        }));
    }

    private void probeBack(Link link, String payload) {
        if (payload.substring(PROBE.length()).equals(link.probe)) {
            link.forgetProbe();
        }
    }

    /** Pub/sub events of one link, handed to the supervisor's thread (messages go straight to the handler). */
    private final class Events extends RedisPubSubAdapter<String, String> {
        private final Link link;

        Events(Link link) {
            this.link = link;
        }

        @Override
        public void smessage(String channel, String payload) {
            if (payload.startsWith(PROBE)) {
                onSupervisor(() -> probeBack(link, payload));
            } else {
                handler.message(channel, payload);
            }
        }

        @Override
        public void ssubscribed(String channel, long count) {
            onSupervisor(() -> link.confirmed(channel));
        }

        @Override
        public void sunsubscribed(String channel, long count) {
            onSupervisor(() -> lost(link, channel, "unsubscribed by Redis (its slot moved)"));
        }
    }

    /** Connection events of one link: after a reconnect every channel on it is subscribed again and caught up. */
    private final class ConnectionEvents implements RedisConnectionStateListener {
        private final Link link;

        ConnectionEvents(Link link) {
            this.link = link;
        }

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            onSupervisor(() -> link.down = true);
        }

        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
            onSupervisor(() -> {
                link.down = false;
                link.forgetProbe();
                for (String channel : new ArrayList<>(link.live)) {
                    lost(link, channel, "pub/sub connection to " + link.node + " re-established");
                }
            });
        }
    }

    /**
     * Runs a subscribe or unsubscribe on the supervisor's thread in the order of the calls, from whichever thread:
     * queued even when called on that thread, behind one queued from another thread before (a user's channel given
     * up by the linger's timer, then needed again by a registration on the Redis I/O thread). Dropped after
     * {@link #close}.
     */
    private void inCallOrder(Runnable task) {
        if (closed) {
            return;
        }
        try {
            executor.execute(() -> {
                if (!closed) {
                    task.run();
                }
            });
        } catch (RejectedExecutionException stopped) {
            // the node is stopping: nothing to subscribe or repair
        }
    }

    /**
     * Runs an event on the supervisor's thread: at once when already there (a reply to a command it sent), else
     * handed over. Events that arrive after {@link #close} are dropped.
     */
    private void onSupervisor(Runnable task) {
        if (!executor.inEventLoop()) {
            inCallOrder(task);
        } else if (!closed) {
            task.run();
        }
    }

    /** Stops supervising and closes the pub/sub connections; the thread itself belongs to the node. */
    @Override
    public void close() {
        closed = true;
        ticking.cancel(false);
        if (executor.inEventLoop()) {
            links.values().forEach(Link::close);
            return;
        }
        try {
            executor.submit(() -> links.values().forEach(Link::close)).await(2, TimeUnit.SECONDS);
        } catch (RejectedExecutionException stopped) {
            // the thread has stopped: so have the connections on it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
