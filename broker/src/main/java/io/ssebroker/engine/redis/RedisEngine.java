package io.ssebroker.engine.redis;

import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.EngineListener;
import io.ssebroker.engine.EngineUnavailableException;
import io.ssebroker.engine.Failures;
import io.ssebroker.engine.NodeStatus;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Publication;
import io.ssebroker.engine.Registration;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StateChange;
import io.ssebroker.engine.StateChangeJson;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.engine.StreamMessage;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster engine: streams, routing, presence, liveness and revocations in Redis (standalone, Sentinel or
 * Cluster), so that every node sharing it behaves as one service. This class connects the parts, each the one owner
 * of its state: {@link RedisConnections} (connections), {@link SubscriptionSupervisor} (pub/sub),
 * {@link RedisRouting} (which channels, and their followers), {@link RedisStreams} (history), {@link RedisPresence}
 * (presence), {@link NodeLiveness} (heartbeats, dead nodes), {@link NodeRecovery} (the epoch, repairs after Redis
 * lost data), {@link ControlChannel} (extrusions, kicks, the canary). Nothing here blocks a caller's thread but
 * the first connection attempt at start; the engine's own timers run on its {@code redis-engine} thread.
 */
public final class RedisEngine implements Engine {
    private static final Logger log = LoggerFactory.getLogger(RedisEngine.class);
    private static final long MAX_CONNECT_BACKOFF_MILLIS = 10_000;

    private final BrokerConfig config;
    private final String node;
    /** This process's name among the nodes: the address alone could be shared by two processes. */
    private final String nodeId;
    private final String version;
    private final long startTimeMillis = System.currentTimeMillis();
    private final StateChangeListener stateChanges;
    private final RedisIoThread ioThread;
    private final ClientResources resources;
    private final ScheduledExecutorService scheduler =
            Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("redis-engine", true));
    private final RedisKeys keys;
    private final StateChangeJson stateChangeJson;
    /** This node's connections by nonce, from before their registration until their removal. */
    private final ConcurrentHashMap<String, DeviceSession> localSessions = new ConcurrentHashMap<>();
    /**
     * This node's connections whose registration is still in flight, by nonce, each with what completes once it is
     * done (a recovery looks at them after).
     */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> registering = new ConcurrentHashMap<>();
    /** Why the engine is not usable yet (null once connected); every call fails with it until then. */
    private volatile String notConnected = "connecting to Redis";
    private volatile EngineListener listener;
    // Set once by connect(), published to other threads by the volatile write of notConnected.
    private RedisConnections redis;
    private RedisStreams streams;
    private SendResults sendResults;
    private RedisPresence presence;
    private EndedConnections endedConnections;
    private FailedRegistrations failedRegistrations;
    private RedisRouting routing;
    private SubscriptionSupervisor supervisor;
    private ControlChannel control;
    private NodeLiveness liveness;
    private NodeRecovery recovery;
    private PresenceSweep sweep;
    private SentinelWatch sentinels;

    /** An engine with a Redis I/O thread of its own. */
    public RedisEngine(BrokerConfig config, String nodeAddress, String version, StateChangeListener stateChanges) {
        this(config, nodeAddress, version, stateChanges, null);
    }

    /**
     * An engine whose Redis I/O runs on {@code ioLoop}, one of the node's HTTP event loops (see {@link RedisIoThread}),
     * which must run until this engine is closed; on a thread of its own when null or of another transport.
     */
    public RedisEngine(BrokerConfig config, String nodeAddress, String version, StateChangeListener stateChanges,
                       EventLoop ioLoop) {
        this.ioThread = ioLoop != null && RedisIoThread.canRunOn(ioLoop) ? new RedisIoThread(ioLoop) : new RedisIoThread();
        this.resources = DefaultClientResources.builder()
                .eventLoopGroupProvider(ioThread.provider())
                .nettyCustomizer(new RedisChannelWrites())
                .build();
        this.config = config;
        this.node = nodeAddress;
        this.nodeId = nodeAddress + "~" + Long.toString(new SecureRandom().nextLong() >>> 1, 36);
        this.version = version;
        this.keys = new RedisKeys(config.redis().keyPrefix());
        this.stateChangeJson = new StateChangeJson(nodeAddress);
        this.stateChanges = stateChanges;
    }

    /** Checks the Redis addresses and Sentinel settings without connecting: a mistake there is fatal at start. */
    public static void checkSettings(BrokerConfig.Redis settings) {
        RedisConnections.validate(settings);
    }

    /**
     * Checks the configuration (a mistake there is fatal), then connects: once at once, so that a node whose Redis is
     * up starts ready; when Redis is not reachable or not ready yet (a cluster still forming), the node starts anyway
     * and keeps connecting with backoff, answering 503 with the reason meanwhile.
     */
    @Override
    public void start(EngineListener listener) {
        this.listener = listener;
        checkSettings(config.redis());
        connectOrRetry(0);
    }

    private void connectOrRetry(int failures) {
        try {
            connect();
        } catch (RuntimeException e) {
            long delay = Math.min(MAX_CONNECT_BACKOFF_MILLIS, 500L << Math.min(failures, 5));
            notConnected = "not connected to Redis yet (" + Failures.cause(e).getMessage() + "); retrying";
            log.warn("cannot connect to Redis ({}): retrying in {} ms", Failures.cause(e).getMessage(), delay);
            scheduler.schedule(() -> connectOrRetry(failures + 1), delay, TimeUnit.MILLISECONDS);
        }
    }

    /** One attempt to connect and join the cluster (blocking, bounded by the timeouts); leaves nothing open if it fails. */
    private void connect() {
        long timeoutMillis = config.redis().timeoutSeconds() * 1000L;
        RedisConnections connections = RedisConnections.open(config.redis(), resources);
        SubscriptionSupervisor subscriptions = null;
        try {
            redis = connections;
            RedisScripts scripts = new RedisScripts(redis.commands);
            ScriptRunner appends = config.redis().sendReplicas() == 0 ? scripts
                    : redis.replicatedSends(config.redis().sendReplicas(), config.redis().sendReplicasWaitMillis());
            streams = new RedisStreams(scripts, appends, keys, config);
            sendResults = new SendResults(redis.commands, keys);
            OfflineGrace grace = new OfflineGrace(config.callback().offlineGraceSeconds() * 1000L,
                    config.callback().offlineGraceOnChannels(), scheduler);
            endedConnections = new EndedConnections(redis.commands, keys, config.limits().endedConnectionsPerUser(),
                    config.jwt().revocationSeconds() * 1000);
            presence = new RedisPresence(redis.commands, scripts, keys, stateChanges, stateChangeJson, grace,
                    streams.retentionMillis(), endedConnections, nodeId, !redis.cluster);
            failedRegistrations = new FailedRegistrations(presence, this::restorePresence);
            control = new ControlChannel(redis.commands, scripts, keys, nodeId, node, listener, localSessions::get,
                    (session, failedNonce) -> recovery.restore(session, failedNonce), scheduler);
            FollowedStreamsOutlet outlet = new FollowedStreamsOutlet(listener, ioThread.executor());
            routing = new RedisRouting(keys, streams::readAfter, outlet::deliver,
                    outlet::reset, control::received, this::controlResubscribed,
                    TimeUnit.SECONDS.toNanos(config.redis().channelLingerSeconds()));
            subscriptions = new SubscriptionSupervisor(redis.shards, routing,
                    (channel, payload) -> redis.commands.spublish(channel, payload).toCompletableFuture(), nodeId,
                    Duration.ofMillis(timeoutMillis), ioThread);
            sweep = new PresenceSweep(redis.commands, keys, presence, () -> liveness.nodeIds(),
                    member -> liveness.isClusterNode(member), nodeId, config.redis().nodeHeartbeatSeconds() * 1000L);
            recovery = new NodeRecovery(redis.commands, keys, presence, localSessions, registering::get, listener,
                    () -> liveness.beat(), routing::catchUpAll, this::isEnded, this::endReplaced, sweep, redis::masters,
                    scheduler);
            liveness = new NodeLiveness(redis.commands, scripts, keys, presence, nodeId, node, version, startTimeMillis,
                    config.redis().nodeHeartbeatSeconds() * 1000L, recovery::recover, sweep::walkSoon,
                    // The dead node may have died before its connection went live, after its registration replaced
                    // another connection of the device (marked ended: its client, back with its cursor, would be
                    // refused for good; open, it lost its presence) or took the device from another user. Undone as
                    // for a registration that failed. Had it gone live, it had ended the one it replaced: that one is
                    // not written again, only its cursor let back in.
                    session -> failedRegistrations.failed(session, true, true));
            await(recovery.start(), timeoutMillis);
            long broadcastHead = StreamIds.toOffset(await(redis.commands.hget(keys.broadcastMeta(), "last"), timeoutMillis));
            await(routing.start(subscriptions, broadcastHead), timeoutMillis);
            await(liveness.start(scheduler), timeoutMillis);
        } catch (RuntimeException e) {
            if (subscriptions != null) {
                subscriptions.close();
                routing.close();
            }
            connections.close();
            throw e;
        }
        supervisor = subscriptions;
        SubscriptionSupervisor supervised = subscriptions;
        long beatMillis = config.redis().nodeHeartbeatSeconds() * 1000L;
        scheduler.scheduleWithFixedDelay(recovery::check, beatMillis, beatMillis, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(sweep::sweep, beatMillis, beatMillis, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(failedRegistrations::retry, beatMillis, beatMillis, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(routing::endLingering, 1, 1, TimeUnit.SECONDS);
        if (config.callback().offlineGraceSeconds() > 0) {
            scheduler.scheduleWithFixedDelay(() -> presence.reportDueOfflines()
                    .whenComplete(RedisRouting.logFailure("reporting offlines held for the grace")), beatMillis, beatMillis,
                    TimeUnit.MILLISECONDS);
        }
        long ownerRefreshMillis = streams.retentionMillis() / 2;
        scheduler.scheduleWithFixedDelay(this::refreshOwners, ownerRefreshMillis, ownerRefreshMillis, TimeUnit.MILLISECONDS);
        resources.eventBus().get()
                .filter(event -> event instanceof ClusterTopologyChangedEvent)
                .subscribe(event -> supervised.topologyChanged());
        if (!config.redis().sentinelMaster().isEmpty()) {
            sentinels = new SentinelWatch(redis.sentinelClient(), RedisConnections.sentinelAddresses(config.redis()),
                    config.redis().sentinelMaster(), () -> supervised.reconnectAll("Sentinel switched the master"),
                    scheduler);
        }
        notConnected = null;
        log.info("redis engine connected ({}), epoch {}", redis.cluster ? "cluster" : "standalone/sentinel", recovery.epoch());
    }

    private static <T> T await(CompletionStage<T> stage, long timeoutMillis) {
        try {
            return stage.toCompletableFuture().get(timeoutMillis * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to Redis", e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = Failures.cause(e);
            throw new IllegalStateException(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
        }
    }

    /** The live nodes that differ from this one in whether they queue presence changes for a webhook. */
    CompletableFuture<List<String>> nodesQueuingOtherwise() {
        return liveness.nodesQueuingOtherwise();
    }

    /** Fails a call made before the node has connected to Redis. */
    private <T> CompletableFuture<T> unavailable() {
        return CompletableFuture.failedFuture(new EngineUnavailableException(notConnected, null));
    }

    @Override
    public CompletableFuture<Integer> publish(Publication publication) {
        if (notConnected != null) {
            return unavailable();
        }
        long now = System.currentTimeMillis();
        RedisStreams.PublicationId id = streams.publicationId(publication);
        if (publication.idempotencyKey() == null) {
            return publishOnce(publication, now, id).thenApply(SendResults.Sent::devices);
        }
        return RedisFutures.guard(sendResults.once(publication.idempotencyKey(), id.ttlMillis(),
                () -> publishOnce(publication, now, id)));
    }

    private CompletableFuture<SendResults.Sent> publishOnce(Publication publication, long now, RedisStreams.PublicationId id) {
        if (publication.isBroadcast()) {
            // Counted while appended (the commands go to Redis in one write); once appended the message is
            // accepted: failing to count the devices must not turn it into a 503.
            CompletableFuture<Integer> count = liveness.deviceCount();
            return RedisFutures.guard(streams.append(null, publication, "", now, id))
                    .thenCompose(appended -> count.thenApply(SendResults.Sent::counted).exceptionally(error -> {
                        log.warn("broadcast accepted, but the devices online could not be counted: {}", error.getMessage());
                        return SendResults.Sent.uncounted();
                    }));
        }
        Map<String, Set<String>> owners = new ConcurrentHashMap<>();
        List<CompletableFuture<Void>> lookups = new ArrayList<>();
        for (String device : publication.devices()) {
            lookups.add(presence.owner(device).thenAccept(owner -> {
                if (owner != null && !publication.uids().contains(owner)) {
                    owners.computeIfAbsent(owner, k -> ConcurrentHashMap.newKeySet()).add(device);
                }
            }));
        }
        return RedisFutures.guard(CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new)).thenCompose(done -> {
            Map<String, String> plan = new LinkedHashMap<>();
            publication.uids().forEach(uid -> plan.put(uid, ""));
            owners.forEach((uid, devices) -> plan.put(uid, String.join(",", new TreeSet<>(devices))));
            List<CompletableFuture<Integer>> appends = new ArrayList<>();
            plan.forEach((uid, devices) -> appends.add(streams.append(uid, publication, devices, now, id)));
            return CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new))
                    .thenApply(all -> SendResults.Sent.counted(appends.stream().mapToInt(CompletableFuture::join).sum()));
        }));
    }

    /**
     * Subscribes to the user's channel (while the node index and the device's owner are written), and once Redis runs
     * the subscription before what comes next, so that nothing published from then on can pass this node by, writes
     * the presence entry, reading the user's stream position in the same script: the connection starts there, and in
     * the broadcast stream where this node has handed it on (nothing to read from Redis for it). On a standalone Redis,
     * whose one connection carries the subscription and the script in the order sent, the script follows the
     * subscription at once; elsewhere it waits for the subscription's confirmation. The registration completes once
     * the subscription is live.
     */
    @Override
    public CompletableFuture<Registration> register(DeviceSession session, int maxDevicesPerUser, long tokenIssuedAtMillis) {
        if (notConnected != null) {
            return unavailable();
        }
        // Known as local before Redis records it, so that a recovery running meanwhile does not take it for departed,
        // and as registering before that, so that such a recovery leaves it to its registration until that is done.
        CompletableFuture<Void> settled = new CompletableFuture<>();
        registering.put(session.nonce(), settled);
        localSessions.put(session.nonce(), session);
        long broadcastOffset = routing.broadcastHandedOn();
        SubscriptionSupervisor.Subscribing listening = routing.acquire(session.uid());
        CompletableFuture<RedisPresence.Registered> written =
                presence.register(session, maxDevicesPerUser, tokenIssuedAtMillis, listening.commandsAfter());
        return RedisFutures.guard(endingReplaced(written, session)
                .thenCombine(listening.live(), (registered, live) -> registered)
                .thenApply(registered -> {
                    if (registered.outcome() != Registration.Outcome.ACCEPTED) {
                        localSessions.remove(session.nonce());
                        routing.release(session.uid());
                        return Registration.refused(registered.outcome());
                    }
                    routing.startUserAt(session.uid(), registered.userOffset());
                    return Registration.accepted(registered.first(), registered.replaced(),
                            new Position(recovery.epoch(), registered.userOffset(), broadcastOffset), registered.decisionOrder());
                }))
                .whenComplete((registration, error) -> {
                    // rolled back first: a recovery that finds it no longer registering finds it gone too
                    if (error != null) {
                        // the chain waited for the presence step: how it failed (if it did) is known by now; a step
                        // that failed naming nothing it removed may have replaced a connection that nobody ended
                        rollBack(session, written.handle((registered, failure) ->
                                        failure != null && DeviceTakeUnsettled.in(failure)).getNow(false),
                                written.handle((registered, failure) ->
                                        failure != null && FailedAfterRemoving.removedBy(failure).isEmpty()).getNow(false));
                    }
                    registering.remove(session.nonce());
                    settled.complete(null);
                });
    }

    /**
     * Ends the connection whose presence the registration's presence step replaced or took (another user's that had
     * the device) once that step is done, also when it fails after removing it or the registration is refused: that
     * connection has no presence left. An end that cannot be asked (Redis unreachable) is logged, and the
     * registration goes on: the connection stays open, presence-less, until its client reconnects or the node ends it.
     */
    private CompletableFuture<RedisPresence.Registered> endingReplaced(CompletableFuture<RedisPresence.Registered> written,
                                                                       DeviceSession session) {
        return written.handle((registered, error) -> {
            List<DeviceSession> removed = error != null ? FailedAfterRemoving.removedBy(error)
                    : registered.removed();
            return endReplaced(removed, session).thenCompose(ended -> error == null
                    ? CompletableFuture.completedFuture(registered)
                    : CompletableFuture.<RedisPresence.Registered>failedFuture(error));
        }).thenCompose(next -> next);
    }

    /**
     * Ends connections whose presence a connection of this node replaced or took, wherever they are. Never fails: an
     * end that cannot be asked is logged.
     */
    private CompletableFuture<Void> endReplaced(List<DeviceSession> replaced, DeviceSession by) {
        return CompletableFuture.allOf(replaced.stream().map(connection -> extrude(connection, by)
                .exceptionally(notEnded -> {
                    log.warn("ending connection {} of user {}, whose presence connection {} replaced, failed: {}",
                            connection.nonce(), connection.uid(), by.nonce(), Failures.cause(notEnded).getMessage());
                    return null;
                })).toArray(CompletableFuture[]::new));
    }

    /** Control messages to this node may have been lost: what they asked for is looked up in Redis. */
    private void controlResubscribed() {
        listener.revalidate();
        control.restoresAsked();
    }

    /**
     * A connection whose presence entry a registration that then failed removed (its script ran, its answer was
     * lost): its node, this one or another, writes the entry again if the connection is still open.
     */
    private CompletableFuture<Void> restorePresence(DeviceSession connection, String failedNonce) {
        if (localSessions.containsKey(connection.nonce())) {
            recovery.restore(connection, failedNonce);
            return CompletableFuture.completedFuture(null);
        }
        return control.restore(connection, failedNonce).whenComplete((sent, error) -> {
            if (error != null) {
                log.warn("asking the node of connection {} of user {} to write its presence again failed (asked again"
                        + " at the next heartbeat): {}", connection.nonce(), connection.uid(),
                        Failures.cause(error).getMessage());
            }
        }).thenApply(sent -> null);
    }

    /**
     * A registration that failed half-way leaves nothing behind: no presence, no session, no subscription count, and
     * no ended mark on the connection its script replaced (if it ran), and, where it failed before it knew that it had
     * taken its device from another user ({@code takeUnsettled}), the device given back to that user. The changes its
     * script queued are reported with the removal's, in order: an offline never comes without its online.
     */
    private void rollBack(DeviceSession session, boolean takeUnsettled, boolean replacedNotEnded) {
        // A connection that ended while it registered has released its count already (its unregister came first):
        // released twice, it would take the count of another device of the user, whose channel would then end.
        if (localSessions.remove(session.nonce()) != null) {
            routing.release(session.uid());
        }
        presence.unregister(session, StateChange.DEVICE_DISCONNECT).whenComplete((done, error) -> {
            if (error != null) {
                recovery.presenceNeedsCheck();
                log.warn("removing the presence of a failed registration failed: {}", error.getMessage());
            }
        });
        failedRegistrations.failed(session, takeUnsettled, replacedNotEnded);
    }

    /**
     * Ends the replaced connection wherever it is: remembered as ended first, so its reconnect gets 204. The
     * registration script has remembered a connection of the same user already, in the step that replaced it.
     */
    private CompletableFuture<Void> extrude(DeviceSession replaced, DeviceSession by) {
        CompletableFuture<Void> remembered = replaced.uid().equals(by.uid()) ? CompletableFuture.completedFuture(null)
                : endedConnections.mark(replaced.uid(), replaced.nonce());
        return remembered.thenCompose(done -> {
            if (localSessions.containsKey(replaced.nonce())) {
                listener.extrude(replaced, by.clientAddress());
                return CompletableFuture.completedFuture(null);
            }
            return control.extrude(replaced, by.clientAddress());
        });
    }

    @Override
    public CompletableFuture<Boolean> unregister(DeviceSession session, String reason) {
        if (notConnected != null) {
            return unavailable();
        }
        if (localSessions.remove(session.nonce()) != null) {
            routing.release(session.uid());
        }
        return RedisFutures.guard(presence.unregister(session, reason)).whenComplete((removed, error) -> {
            if (error != null) {
                recovery.presenceNeedsCheck(); // removed once Redis answers again
            }
        });
    }

    /**
     * Read from the streams, unless this node has handed on both of them exactly up to the position and nothing after
     * it (the usual case of a connection starting where its registration was written, or a client resuming from the
     * head): the connection is findable by then, so whatever comes next reaches it live, and there is nothing to read.
     */
    @Override
    public CompletableFuture<Replay> replay(String uid, String device, Optional<Position> from) {
        if (notConnected != null) {
            return unavailable();
        }
        String epoch = recovery.epoch();
        if (from.isPresent() && from.get().epoch().equals(epoch)
                && routing.handedOnUpTo(uid, from.get().userOffset(), from.get().broadcastOffset())) {
            return CompletableFuture.completedFuture(new Replay(from.get(), List.of(), null));
        }
        return RedisFutures.guard(streams.replay(uid, device, from, epoch));
    }

    /** Revokes first (so a connection registering meanwhile ends itself when it checks), then announces. */
    @Override
    public CompletableFuture<Integer> kick(Set<String> uids, Set<String> devices, String data) {
        if (notConnected != null) {
            return unavailable();
        }
        long now = System.currentTimeMillis();
        SetArgs ttl = SetArgs.Builder.px(config.jwt().revocationSeconds() * 1000);
        List<CompletableFuture<?>> steps = new ArrayList<>();
        Set<String> ended = ConcurrentHashMap.newKeySet();
        for (String uid : uids) {
            steps.add(redis.commands.set(keys.kickedUid(uid), Long.toString(now), ttl).toCompletableFuture());
            steps.add(presence.userDeviceNames(uid).thenAccept(ended::addAll));
        }
        for (String device : devices) {
            steps.add(redis.commands.set(keys.kickedDevice(device), Long.toString(now), ttl).toCompletableFuture());
            steps.add(presence.owner(device).thenCompose(owner -> owner == null ? CompletableFuture.completedFuture(false)
                    : presence.isOnline(owner, device)).thenAccept(online -> {
                        if (online) {
                            ended.add(device);
                        }
                    }));
        }
        return RedisFutures.guard(CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new))
                .thenCompose(done -> control.kick(uids, devices, data, now, ended.size()))
                .thenApply(sent -> ended.size()));
    }

    @Override
    public CompletableFuture<Boolean> isRevoked(String uid, String device, long issuedAtMillis) {
        if (notConnected != null) {
            return unavailable();
        }
        return RedisFutures.guard(presence.isRevoked(uid, device, issuedAtMillis));
    }

    /**
     * Through the registration script's record of what it replaced, as for a registration that failed at this node
     * (of the same user; the end of another user's connection that had the device stays).
     */
    @Override
    public void takeBackReplaced(DeviceSession session, DeviceSession replaced, boolean replacedEnded) {
        if (notConnected == null) {
            // The registration ended what it replaced, unless that one is this node's and its end was not claimed
            // (registering or replaying still): it goes live, and its presence is written again.
            failedRegistrations.failed(session, false, !replacedEnded && localSessions.containsKey(replaced.nonce()));
        }
    }

    @Override
    public void markEnded(String uid, String nonce) {
        if (notConnected != null) {
            log.warn("cannot remember an ended connection: {}", notConnected);
            return;
        }
        endedConnections.mark(uid, nonce).whenComplete(RedisRouting.logFailure("remembering an ended connection"));
    }

    @Override
    public CompletableFuture<Boolean> isEnded(String uid, String nonce) {
        if (notConnected != null) {
            return unavailable();
        }
        return RedisFutures.guard(endedConnections.contains(uid, nonce));
    }

    @Override
    public CompletableFuture<Optional<DeviceSession>> device(String device) {
        if (notConnected != null) {
            return unavailable();
        }
        return RedisFutures.guard(presence.device(device));
    }

    @Override
    public CompletableFuture<List<DeviceSession>> userDevices(String uid) {
        if (notConnected != null) {
            return unavailable();
        }
        return RedisFutures.guard(presence.userDevices(uid));
    }

    @Override
    public CompletableFuture<List<NodeStatus>> nodes() {
        if (notConnected != null) {
            return unavailable();
        }
        return RedisFutures.guard(liveness.nodes());
    }

    @Override
    public CompletableFuture<Integer> userCount() {
        if (notConnected != null) {
            return unavailable();
        }
        return RedisFutures.guard(presence.userCount());
    }

    /**
     * Ready when no subscription repair is pending and a canary on the control channel, addressed to this node,
     * comes back: routing through Redis works.
     */
    @Override
    public CompletableFuture<Void> ping() {
        if (notConnected != null) {
            return unavailable();
        }
        return supervisor.health().thenCompose(problem -> problem.isPresent()
                ? CompletableFuture.failedFuture(new EngineUnavailableException(problem.get(), null))
                : control.canary());
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        if (notConnected == null) {
            try {
                liveness.leave().get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("could not leave the cluster cleanly: {}", e.toString());
            }
            if (sentinels != null) {
                sentinels.close();
            }
            supervisor.close();
            routing.close();
            redis.close();
        }
        ioThread.runQueued(2, TimeUnit.SECONDS);
        resources.shutdown(0, 2, TimeUnit.SECONDS);
        ioThread.close();
    }

    /**
     * A device's owner is kept for the retention time after it was last written; devices connected longer than that
     * must not lose it (messages to the device and its extrusion across users depend on it).
     */
    private void refreshOwners() {
        for (DeviceSession session : localSessions.values()) {
            redis.commands.pexpire(keys.deviceOwner(session.device()), streams.retentionMillis());
        }
    }
}
