package io.ssebroker.broker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.EngineListener;
import io.ssebroker.engine.EngineUnavailableException;
import io.ssebroker.engine.Failures;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Registration;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StateChange;
import io.ssebroker.engine.StreamMessage;
import io.ssebroker.sse.SseFrames;
import io.ssebroker.sse.SseStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core of a node: its local connections (uid → devices → connection), connect with extrusion and replay,
 * delivery of routed messages, kick, and graceful shutdown. Shared state lives in the {@link Engine}.
 *
 * <p>How a connection goes, and which thread runs each step: {@link #connect} (the request's event loop) checks
 * whether the connection of a cursor it came back with was ended; registering (engine threads) checks the token's
 * revocation, writes its presence and fixes where it starts; back on its event loop the stream opens and a {@link LocalConnection} is
 * attached ({@code REPLAYING}: the replay is read from the engine and written as the client reads it, live
 * messages held back); then {@code LIVE}; a kick, an extrusion or a shutdown makes it {@code ENDING}; when its
 * stream closes it is {@code ENDED} and detached, and its presence removed. Engine callbacks ({@link #deliver},
 * {@link #extrude}, {@link #kick}) arrive on engine threads and hand each connection's work to its event loop.
 */
public final class Broker implements EngineListener {
    private static final Logger log = LoggerFactory.getLogger(Broker.class);
    /** The longest a kick waits for the connections it ended to leave presence before it answers anyway. */
    private static final long KICK_WAIT_MILLIS = 5000;
    private static final String ENDED = "connection was ended by a kick or a newer connection";
    private static final String SHUTTING_DOWN = "node is shutting down; connect to another node";
    /**
     * How long a connection that resumed the cursor of the one it replaced may end and still have that one's end
     * taken back: its client may not have kept a newer id by then. As long as the Redis engine keeps what a
     * registration replaced.
     */
    private static final long RESUMED_TAKE_BACK_MILLIS = 60_000;

    private final Engine engine;
    private final String nodeAddress;
    private final BrokerConfig.Sse sse;
    private final RetryDelays retryDelays;
    private final BrokerConfig.Limits limits;
    private final BrokerMetrics metrics;
    private final ConcurrentHashMap<String, LocalConnection> byDevice = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, List<LocalConnection>> byUid = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<EventExecutor, LoopConnections> byLoop = new ConcurrentHashMap<>();
    private final AtomicInteger connectionCount = new AtomicInteger();
    private final BroadcastBacklog broadcastBacklog = new BroadcastBacklog(byLoop::size);
    /** Presence removals on their way to the engine: a graceful stop waits for them. */
    private final Set<CompletableFuture<Boolean>> pendingRemovals = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;
    /**
     * How many kicks, extrusions and revalidations the engine has asked of this node. A connection attached with
     * none asked since its checks began cannot have missed one (any that comes later finds it attached), so it is
     * checked again only when this moved meanwhile.
     */
    private final AtomicLong endsAsked = new AtomicLong();
    private final RecentExtrusions recentExtrusions = new RecentExtrusions();
    private final RecentKicks recentKicks = new RecentKicks();

    /** A broker that counts nothing, for embedding without a meter registry (tests). */
    public Broker(Engine engine, BrokerConfig config, String nodeAddress) {
        this(engine, config, nodeAddress, BrokerMetrics.NONE);
    }

    public Broker(Engine engine, BrokerConfig config, String nodeAddress, BrokerMetrics metrics) {
        this.engine = engine;
        this.nodeAddress = nodeAddress;
        this.sse = config.sse();
        this.retryDelays = new RetryDelays(sse);
        this.limits = config.limits();
        this.metrics = metrics;
    }

    public void start() {
        engine.start(this);
    }

    public Engine engine() {
        return engine;
    }

    public String nodeAddress() {
        return nodeAddress;
    }

    /** Broadcasts queued for this node's connections; publishers are answered at the pace they are written. */
    public BroadcastBacklog broadcastBacklog() {
        return broadcastBacklog;
    }

    public int connectionCount() {
        return connectionCount.get();
    }

    /** Admits or refuses a connection, then opens it: registration, extrusion, replay, live. */
    public void connect(ConnectRequest request, StreamOpener opener) {
        if (draining) {
            opener.comeBackLater(SHUTTING_DOWN, retryDelays.refusalMillis(1));
            return;
        }
        long endsAskedBefore = endsAsked.get();
        Optional<Cursor> cursor = Cursor.parse(request.cursor());
        boolean unknownCursor = request.cursor() != null && !request.cursor().isEmpty() && cursor.isEmpty();
        Optional<Cursor> ownCursor = cursor.filter(c -> c.uidTag().equals(Cursor.uidTag(request.uid())));
        Optional<Position> from = ownCursor.map(Cursor::position); // another user's cursor: fresh start
        if (ownCursor.isEmpty()) {
            register(request, from, null, unknownCursor, opener, endsAskedBefore);
            return;
        }
        // A connection that comes back with its cursor is refused if it was ended (kicked or extruded) meanwhile.
        engine.isEnded(request.uid(), ownCursor.get().nonce())
                .whenComplete((ended, error) -> onExecutor(opener.executor(), () -> {
                    if (error != null) {
                        opener.comeBackLater(unavailable(error), retryDelays.refusalMillis(3));
                    } else if (ended) {
                        opener.reject(204, ENDED);
                    } else {
                        register(request, from, ownCursor.get().nonce(), unknownCursor, opener, endsAskedBefore);
                    }
                }));
    }

    /** @param resumedNonce the nonce of the connection whose cursor the client came back with, or null */
    private void register(ConnectRequest request, Optional<Position> from, String resumedNonce, boolean unknownCursor,
                          StreamOpener opener, long endsAskedBefore) {
        if (connectionCount.incrementAndGet() > limits.maxConnections()) {
            connectionCount.decrementAndGet();
            metrics.connectionLimitReached();
            opener.comeBackLater("node connection limit reached (limits.max_connections = " + limits.maxConnections() + ")",
                    retryDelays.refusalMillis(10));
            return;
        }
        DeviceSession session = new DeviceSession(request.uid(), request.device(), newNonce(), nodeAddress,
                request.clientAddress(), System.currentTimeMillis());
        engine.register(session, limits.maxDevicesPerUser(), request.tokenIssuedAtMillis()).whenComplete((registration, error) ->
            onExecutor(opener.executor(), () -> {
                if (error != null) {
                    connectionCount.decrementAndGet();
                    opener.comeBackLater(unavailable(error), retryDelays.refusalMillis(3));
                    return;
                }
                if (registration.outcome() == Registration.Outcome.REVOKED
                        || registration.outcome() == Registration.Outcome.ENDED) {
                    connectionCount.decrementAndGet();
                    opener.reject(204, ENDED);
                    return;
                }
                if (!registration.accepted()) {
                    connectionCount.decrementAndGet();
                    metrics.deviceLimitReached();
                    opener.reject(429, "uid " + request.uid() + " already has the maximum of " + limits.maxDevicesPerUser()
                            + " devices online (limits.max_devices_per_user)");
                    return;
                }
                if (draining) {
                    // The node began to drain while this registration was made: the client is sent elsewhere, at a
                    // spread pace, like those refused once the drain began, rather than opened here only to be closed.
                    unregisterNeverOpened(session, registration, StateChange.INSTANCE_CLOSE);
                    opener.comeBackLater(SHUTTING_DOWN, retryDelays.refusalMillis(1));
                    return;
                }
                SseStream stream;
                try {
                    stream = opener.open();
                } catch (RuntimeException e) {
                    // its presence and its count are undone all the same: nothing else would
                    log.error("opening the stream of device {} failed", request.device(), e);
                    stream = null;
                }
                if (stream == null) {
                    unregisterNeverOpened(session, registration, StateChange.DEVICE_DISCONNECT);
                    return;
                }
                DeviceSession replaced = registration.replaced();
                // A client that came back with the cursor of the connection it replaces is that connection's client
                // (that one was left half-open): should this one end before the client has read its first id, the
                // client comes back with that cursor again, and must not find it refused.
                boolean resumesReplaced = replaced != null && replaced.nonce().equals(resumedNonce);
                // Without a cursor, the connection starts where its registration was written: a message sent once
                // the device counted as online (a greeting on the device-online callback) is never before it.
                attach(new LocalConnection(session, stream, request.tokenIssuedAtMillis(), registration.decisionOrder(),
                                replaced == null ? null : replaced.nonce()), replaced, resumesReplaced,
                        Optional.of(from.orElse(registration.start())), unknownCursor, endsAskedBefore);
            }));
    }

    /** Undoes a registration whose stream was never opened: its presence goes, a device it replaced comes back. */
    private void unregisterNeverOpened(DeviceSession session, Registration registration, String reason) {
        removePresence(session, reason);
        if (registration.replaced() != null) {
            engine.takeBackReplaced(session, registration.replaced(), endedHere(registration.replaced()));
        }
    }

    /**
     * Whether the connection is attached on this node with its end claimed (an extrusion, a kick or its close ended
     * it), not registering, replaying unended, or gone.
     */
    private boolean endedHere(DeviceSession session) {
        List<LocalConnection> connections = byUid.get(session.uid());
        if (connections != null) {
            for (LocalConnection connection : connections) {
                if (connection.nonce().equals(session.nonce())) {
                    return connection.endClaimed();
                }
            }
        }
        return false;
    }

    /**
     * Removes a registered session's presence, and counts it out of the node's connections once the removal is
     * pending: a drain that sees no connection left then waits for the removal.
     */
    private CompletableFuture<Boolean> removePresence(DeviceSession session, String reason) {
        CompletableFuture<Boolean> removal;
        try {
            removal = engine.unregister(session, reason).exceptionally(error -> {
                log.warn("could not remove presence of device {}: {}", session.device(), unavailable(error));
                return false;
            });
            pendingRemovals.add(removal);
        } finally {
            connectionCount.decrementAndGet();
        }
        removal.whenComplete((removed, error) -> pendingRemovals.remove(removal));
        return removal;
    }

    /**
     * @param replaced        the connection the registration replaced, or null
     * @param resumesReplaced the client came back with the cursor of the connection replaced
     */
    private void attach(LocalConnection connection, DeviceSession replaced, boolean resumesReplaced, Optional<Position> from,
                        boolean unknownCursor, long endsAskedBefore) {
        // A connection registered earlier that attaches late never replaces the newer one.
        byDevice.merge(connection.device(), connection, LocalConnection::devicesConnection);
        // Added inside compute: a concurrent detach may drop the user's list once it is empty.
        byUid.compute(connection.session.uid(), (uid, list) -> {
            List<LocalConnection> connections = list != null ? list : new CopyOnWriteArrayList<>();
            connections.add(connection);
            return connections;
        });
        LoopConnections loop = byLoop.computeIfAbsent(connection.stream.executor(),
                executor -> new LoopConnections(executor, sse.heartbeatIntervalSeconds() * 1000L,
                        LoopConnections.SLICE_NANOS, metrics::delivered, broadcastBacklog::written));
        loop.add(connection);
        connection.stream.whenClosed(() -> detach(connection, replaced, resumesReplaced, loop));
        if (draining) {
            // Opened as the node began to drain: the drain's pass over the loops came before this connection was in
            // its loop's list (or before the loop had a list), so it is told here, like the others.
            connection.end(SystemEvents.INSTANCE_CLOSE, nodeAddress, StateChange.INSTANCE_CLOSE);
            return;
        }
        log.debug("connected uid={} device={} from {}", connection.session.uid(), connection.device(),
                connection.session.clientAddress());
        engine.replay(connection.session.uid(), connection.device(), from).whenComplete((replay, error) ->
                onExecutor(connection.stream.executor(), () -> {
                    if (error != null) {
                        log.warn("replay for device {} failed: {}", connection.device(), unavailable(error));
                        connection.stream.close();
                        return;
                    }
                    String reset = unknownCursor ? Replay.UNKNOWN_CURSOR : replay.resetReason();
                    try {
                        connection.start(retryDelays.streamMillis(), replay, reset);
                    } catch (RuntimeException e) {
                        // never left replaying for good (no heartbeats, nothing flushed): the client comes back
                        log.error("starting the stream of device {} failed", connection.device(), e);
                        connection.stream.close();
                        return;
                    }
                    if (reset != null) {
                        metrics.reset(reset);
                    }
                    metrics.replayed(replay.messages().size());
                    if (endsAsked.get() != endsAskedBefore) {
                        endIfOvertaken(connection, endsAskedBefore);
                    }
                }));
    }

    /**
     * An extrusion or a kick that reached this node while this connection was still being registered found no
     * local connection to end; once attached, the connection checks whether that happened and ends itself: a kick
     * of its user or device that this node was asked for since {@code endsAskedBefore} and that was decided at or
     * after its token was issued ends it with that kick's data; else the engine says whether it was extruded or its
     * token revoked (for kicks and extrusions whose message this node may have missed).
     */
    private void endIfOvertaken(LocalConnection connection, long endsAskedBefore) {
        DeviceSession session = connection.session;
        String kickData = recentKicks.endingKick(endsAskedBefore, session.uid(), session.device(),
                connection.tokenIssuedAtMillis);
        if (kickData != null) {
            if (connection.claimEnd()) {
                engine.markEnded(session.uid(), session.nonce());
                onExecutor(connection.stream.executor(), () -> connection.end(SystemEvents.KICK, kickData, StateChange.KICK_OFFLINE));
            }
            return;
        }
        engine.isEnded(session.uid(), session.nonce())
                .thenCombine(engine.isRevoked(session.uid(), session.device(), connection.tokenIssuedAtMillis), (ended, revoked) ->
                        ended ? SystemEvents.EXTRUDE : revoked ? SystemEvents.KICK : null)
                .whenComplete((event, error) -> {
                    if (event != null && connection.claimEnd()) {
                        boolean extruded = event.equals(SystemEvents.EXTRUDE);
                        if (!extruded) {
                            // its cursor answers 204, as a kicked connection's does
                            engine.markEnded(session.uid(), session.nonce());
                        }
                        // a kick's data, or an extrusion whose message this node missed, is not known here
                        String data = extruded ? recentExtrusions.byWhom(session.nonce()) : "";
                        onExecutor(connection.stream.executor(), () -> connection.end(event, data,
                                extruded ? StateChange.EXTRUDE_OFFLINE : StateChange.KICK_OFFLINE));
                    }
                });
    }

    private void detach(LocalConnection connection, DeviceSession replaced, boolean resumesReplaced, LoopConnections loop) {
        boolean wentLive = connection.wentLive();
        connection.ended();
        byDevice.remove(connection.device(), connection);
        byUid.computeIfPresent(connection.session.uid(), (uid, list) -> {
            list.remove(connection);
            return list.isEmpty() ? null : list;
        });
        // Deferred: the close may happen while this loop iterates its connections.
        loop.loop().execute(() -> loop.remove(connection));
        String reason = connection.presenceReason();
        metrics.disconnected(reason);
        if (connection.stream.closedForSlowness()) {
            metrics.slowClientDisconnected();
            log.info("disconnected slow client uid={} device={} (unsent bytes over limits.max_unsent_bytes)",
                    connection.session.uid(), connection.device());
        }
        log.debug("disconnected uid={} device={} reason={}", connection.session.uid(), connection.device(), reason);
        removePresence(connection.session, reason).whenComplete((removed, error) -> connection.leftPresence.complete(null));
        // Its client still holds the cursor of the connection it replaced (it never had this one, or it came with that
        // cursor and may not have kept this one's yet, as within a minute); unless a newer connection or a kick ended
        // it, that one's end is taken back.
        boolean resumedLately = resumesReplaced
                && System.currentTimeMillis() - connection.session.loginTimeMillis() < RESUMED_TAKE_BACK_MILLIS;
        if ((!wentLive || resumedLately) && replaced != null && !StateChange.EXTRUDE_OFFLINE.equals(reason)
                && !StateChange.KICK_OFFLINE.equals(reason)) {
            engine.takeBackReplaced(connection.session, replaced, endedHere(replaced));
        }
    }

    @Override
    public void deliver(StreamMessage message) {
        if (message.isBroadcast()) {
            deliverToLoops(message);
            return;
        }
        List<LocalConnection> connections = byUid.get(message.uid());
        if (connections == null || connections.isEmpty()) {
            return;
        }
        ByteBuf body = SseFrames.body(PooledByteBufAllocator.DEFAULT, message.event(), message.data());
        try {
            for (LocalConnection connection : connections) {
                if (!message.addressedTo(connection.device()) && connection.isLive()) {
                    continue;
                }
                EventExecutor executor = connection.stream.executor();
                // On the connection's own loop (a publisher on the same loop), with nothing queued there that this
                // message must follow, it goes out at once. A message of the same stream still queued would be
                // overtaken (and dropped as already written); a broadcast queued before it would be passed.
                // Messages are handed over in offset order. The connection's loop (and its LoopConnections) is
                // known once it is attached, which happens on that loop before any message can reach it there.
                LoopConnections own = ownLoopWithNothingQueued(connection, executor);
                if (own != null) {
                    deliverNow(own, connection, message, body);
                    continue;
                }
                body.retain();
                connection.messageQueued();
                try {
                    executor.execute(() -> {
                        try {
                            LoopConnections loop = byLoop.get(executor);
                            boolean delivered = connection.queuedMessageTaken() ? loop.deliverNow(connection, message, body)
                                    : loop.deliver(connection, message, body);
                            if (delivered) {
                                metrics.delivered(1);
                            }
                        } finally {
                            body.release();
                        }
                    });
                } catch (RejectedExecutionException stopped) {
                    // the loop is shutting down with its connections: nothing to write there
                    connection.queuedMessageTaken();
                    body.release();
                }
            }
        } finally {
            body.release();
        }
    }

    /**
     * The connection's loop, when the caller runs on it and nothing is queued there that what the caller writes must
     * follow (a message of the connection's, a broadcast): then it may write at once. Null otherwise.
     */
    private LoopConnections ownLoopWithNothingQueued(LocalConnection connection, EventExecutor executor) {
        LoopConnections own = executor.inEventLoop() ? byLoop.get(executor) : null;
        return own != null && connection.noMessageQueued() && !own.hasBroadcastQueued() ? own : null;
    }

    /**
     * Writes a message inline, on the stack of the engine's hand-over: a failure to write to this connection is the
     * connection's, and neither fails the publish nor keeps the message from the user's other connections.
     */
    private void deliverNow(LoopConnections loop, LocalConnection connection, StreamMessage message, ByteBuf body) {
        try {
            if (loop.deliverNow(connection, message, body)) {
                metrics.delivered(1);
            }
        } catch (RuntimeException e) {
            log.warn("could not write a message to device {}", connection.device(), e);
        }
    }

    /** Each event loop is handed the shared frame body, and writes it to every connection of that loop. */
    private void deliverToLoops(StreamMessage message) {
        if (connectionCount.get() == 0) {
            return;
        }
        ByteBuf body = SseFrames.body(PooledByteBufAllocator.DEFAULT, message.event(), message.data());
        try {
            for (LoopConnections loop : byLoop.values()) {
                body.retain();
                broadcastBacklog.queued();
                loop.broadcastQueued();
                try {
                    loop.loop().execute(() -> loop.broadcast(message, body));
                } catch (RejectedExecutionException stopped) {
                    // the loop is shutting down with its connections: nothing to write there
                    loop.broadcastNotHandedOver();
                    body.release();
                    broadcastBacklog.written();
                }
            }
        } finally {
            body.release();
        }
    }

    @Override
    public void extrude(DeviceSession session, String byClientAddress) {
        // Before the count: a connection that attaches now and sees the count changed finds the address.
        recentExtrusions.add(session.nonce(), byClientAddress);
        endsAsked.incrementAndGet();
        LocalConnection connection = byDevice.get(session.device());
        if (connection != null && connection.nonce().equals(session.nonce())) {
            recentExtrusions.forget(session.nonce()); // attached: a reconnect storm does not crowd out the few needed
            if (connection.claimEnd()) {
                onExecutor(connection.stream.executor(),
                        () -> connection.end(SystemEvents.EXTRUDE, byClientAddress, StateChange.EXTRUDE_OFFLINE));
            }
        }
    }

    @Override
    public CompletableFuture<Integer> kick(Set<String> uids, Set<String> devices, String data, long kickedAtMillis) {
        // Recorded before the connections are looked for: one attached after the look finds the kick.
        recentKicks.add(endsAsked, uids, devices, data, kickedAtMillis);
        Set<LocalConnection> matches = new LinkedHashSet<>();
        uids.forEach(uid -> matches.addAll(byUid.getOrDefault(uid, List.of())));
        devices.forEach(device -> Optional.ofNullable(byDevice.get(device)).ifPresent(matches::add));
        List<CompletableFuture<Void>> gone = new ArrayList<>(matches.size());
        for (LocalConnection connection : matches) {
            if (connection.claimEnd()) {
                engine.markEnded(connection.session.uid(), connection.nonce());
                onExecutor(connection.stream.executor(),
                        () -> connection.end(SystemEvents.KICK, data, StateChange.KICK_OFFLINE));
            }
            // Also when something else claimed it first: it is closing all the same, and the kick answers after.
            gone.add(connection.leftPresence);
        }
        return CompletableFuture.allOf(gone.toArray(CompletableFuture[]::new))
                .completeOnTimeout(null, KICK_WAIT_MILLIS, TimeUnit.MILLISECONDS)
                .thenApply(done -> matches.size());
    }

    @Override
    public void revalidate() {
        endsAsked.incrementAndGet();
        // Only what the engine retained: kicks this node was asked for found the connections attached before them.
        byDevice.values().forEach(connection -> endIfOvertaken(connection, Long.MAX_VALUE));
    }

    @Override
    public void streamReset(String uid, String reason) {
        if (uid == null) {
            resetBroadcasts(reason);
            return;
        }
        for (LocalConnection connection : byUid.getOrDefault(uid, List.of())) {
            inOrderWithMessages(connection, reason.equals(Replay.HISTORY_LOST)
                    ? () -> connection.announceHistoryChanged(false) : () -> connection.announceReset(reason));
        }
    }

    /**
     * Runs a change of a connection's user stream (a reset, a new epoch) in order with its deliveries (see deliver):
     * at once on the connection's own loop when none is queued there, else queued like them, and counted as they are,
     * so that a message the loop writes at once before the change's turn comes waits behind it too.
     */
    private void inOrderWithMessages(LocalConnection connection, Runnable change) {
        EventExecutor executor = connection.stream.executor();
        if (ownLoopWithNothingQueued(connection, executor) != null) {
            change.run();
            return;
        }
        connection.messageQueued();
        try {
            executor.execute(() -> {
                connection.queuedMessageTaken();
                change.run();
            });
        } catch (RejectedExecutionException stopped) {
            connection.queuedMessageTaken(); // the loop is shutting down with its connections: nobody to tell
        }
    }

    /**
     * A reset of the broadcast stream goes to each loop like a broadcast, into its passes: a pass that has not reached
     * a connection yet writes the broadcasts handed over before the reset first (they would otherwise come after it,
     * and pass for the newest the connection has).
     */
    private void resetBroadcasts(String reason) {
        for (LoopConnections loop : byLoop.values()) {
            loop.broadcastQueued();
            try {
                loop.loop().execute(() -> loop.broadcastReset(reason));
            } catch (RejectedExecutionException stopped) {
                // the loop is shutting down with its connections: nobody there to tell
                loop.broadcastNotHandedOver();
            }
        }
    }

    @Override
    public void historyRestarted(String epoch) {
        for (LocalConnection connection : byDevice.values()) {
            inOrderWithMessages(connection, () -> connection.restartHistory(epoch));
        }
    }

    /** Live details of a device connected to this node: the time of its last write and its last cursor. */
    public Optional<LiveDetails> liveDetails(DeviceSession session) {
        LocalConnection connection = byDevice.get(session.device());
        if (connection == null || !connection.nonce().equals(session.nonce())) {
            return Optional.empty();
        }
        return Optional.of(new LiveDetails(connection.stream.lastWriteMillis(), connection.lastCursor()));
    }

    public record LiveDetails(long lastTouchMillis, String lastCursor) {
    }

    /**
     * Graceful shutdown: refuse new connections, send every local client {@code sys_instance_close}, remove its
     * presence with reason {@code instance_close}, close. Returns whether all closed within the timeout.
     */
    public boolean drain(long timeoutMillis) {
        draining = true;
        for (LoopConnections loop : byLoop.values()) {
            onExecutor(loop.loop(), () -> {
                for (LocalConnection connection : new ArrayList<>(loop.connections())) {
                    connection.end(SystemEvents.INSTANCE_CLOSE, nodeAddress, StateChange.INSTANCE_CLOSE);
                }
            });
        }
        return awaitDetached(timeoutMillis);
    }

    /**
     * Waits until every connection of this node has left it and the engine (its presence removed), or the time is up;
     * true if none is left.
     */
    public boolean awaitDetached(long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while ((connectionCount.get() > 0 || !pendingRemovals.isEmpty()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return connectionCount.get() == 0 && pendingRemovals.isEmpty();
    }

    private static String newNonce() {
        return Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    }

    static String unavailable(Throwable error) {
        Throwable cause = Failures.cause(error);
        if (!(cause instanceof EngineUnavailableException)) {
            log.error("engine call failed", cause);
        }
        return "engine unavailable: " + cause.getMessage();
    }

    private static void onExecutor(EventExecutor executor, Runnable task) {
        if (executor.inEventLoop()) {
            task.run();
        } else {
            executor.execute(task);
        }
    }
}
