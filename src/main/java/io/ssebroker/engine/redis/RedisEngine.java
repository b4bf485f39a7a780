package io.ssebroker.engine.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
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
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster engine: streams, routing, presence, liveness and revocations in Redis (standalone, Sentinel or
 * Cluster), so that every node sharing it behaves as one service. Nothing here blocks a caller's thread.
 */
public final class RedisEngine implements Engine {
    private static final Logger log = LoggerFactory.getLogger(RedisEngine.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BrokerConfig config;
    private final String node;
    /** This process's name among the nodes: the address alone could be shared by two processes. */
    private final String nodeId;
    private final String version;
    private final long startTimeMillis = System.currentTimeMillis();
    private final StateChangeListener stateChanges;
    private final ClientResources resources = DefaultClientResources.create();
    private final ScheduledExecutorService scheduler =
            Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("redis-engine", true));
    private final RedisKeys keys;
    private final StateChangeJson stateChangeJson;
    private final ConcurrentHashMap<String, DeviceSession> localSessions = new ConcurrentHashMap<>();
    private final AtomicBoolean recovering = new AtomicBoolean();
    private final AtomicBoolean recoverAgain = new AtomicBoolean();
    /** A presence removal failed: the node's recorded sessions are compared with its connections once Redis answers. */
    private final AtomicBoolean presenceDirty = new AtomicBoolean();
    private static final long MAX_CONNECT_BACKOFF_MILLIS = 10_000;
    /** Why the engine is not usable yet (null once connected); every call fails with it until then. */
    private volatile String notConnected = "connecting to Redis";
    private SubscriptionSupervisor supervisor;
    private SentinelWatch sentinels;
    private final ConcurrentHashMap<String, CompletableFuture<Void>> canaries = new ConcurrentHashMap<>();
    // Set once by connect(), published to other threads by the volatile write of notConnected.
    private RedisConnections redis;
    private RedisScripts scripts;
    private RedisPresence presence;
    private RedisRouting routing;
    private NodeLiveness liveness;
    private volatile String epoch;
    private volatile EngineListener listener;

    public RedisEngine(BrokerConfig config, String nodeAddress, String version, StateChangeListener stateChanges) {
        this.config = config;
        this.node = nodeAddress;
        this.nodeId = nodeAddress + "~" + Long.toString(new SecureRandom().nextLong() >>> 1, 36);
        this.version = version;
        this.keys = new RedisKeys(config.redis().keyPrefix());
        this.stateChangeJson = new StateChangeJson(nodeAddress);
        this.stateChanges = stateChanges;
    }

    /**
     * Checks the configuration (a mistake there is fatal), then connects: once at once, so that a node whose Redis is
     * up starts ready; when Redis is not reachable or not ready yet (a cluster still forming), the node starts anyway
     * and keeps connecting with backoff, answering 503 with the reason meanwhile.
     */
    @Override
    public void start(EngineListener listener) {
        this.listener = listener;
        RedisConnections.validate(config.redis());
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
            scripts = new RedisScripts(redis.commands);
            presence = new RedisPresence(redis.commands, scripts, keys, this::changed, retentionMillis(), nodeId);
            routing = new RedisRouting(keys, this::readAfter, listener::deliver,
                    uid -> listener.streamReset(uid, Replay.EXPIRED), this::control, listener::revalidate);
            subscriptions = new SubscriptionSupervisor(redis.shards, routing,
                    (channel, payload) -> redis.commands.spublish(channel, payload).toCompletableFuture(), nodeId,
                    Duration.ofMillis(timeoutMillis));
            liveness = new NodeLiveness(redis.commands, keys, presence, nodeId, node, version, startTimeMillis,
                    config.redis().nodeHeartbeatSeconds() * 1000L, this::recover);
            epoch = await(ensureEpoch(), timeoutMillis);
            long broadcastHead = StreamIds.toOffset(await(redis.commands.hget(keys.broadcastMeta(), "last"), timeoutMillis));
            await(routing.start(subscriptions, broadcastHead), timeoutMillis);
            await(liveness.start(scheduler), timeoutMillis);
        } catch (RuntimeException e) {
            if (subscriptions != null) {
                subscriptions.close();
            }
            connections.close();
            throw e;
        }
        supervisor = subscriptions;
        long beatMillis = config.redis().nodeHeartbeatSeconds() * 1000L;
        scheduler.scheduleWithFixedDelay(this::checkHistory, beatMillis, beatMillis, TimeUnit.MILLISECONDS);
        long ownerRefreshMillis = retentionMillis() / 2;
        scheduler.scheduleWithFixedDelay(this::refreshOwners, ownerRefreshMillis, ownerRefreshMillis, TimeUnit.MILLISECONDS);
        SubscriptionSupervisor supervised = subscriptions;
        resources.eventBus().get()
                .filter(event -> event instanceof ClusterTopologyChangedEvent)
                .subscribe(event -> supervised.topologyChanged());
        if (!config.redis().sentinelMaster().isEmpty()) {
            sentinels = new SentinelWatch(redis.sentinelClient(), RedisConnections.sentinelAddresses(config.redis()),
                    config.redis().sentinelMaster(), () -> supervised.reconnectAll("Sentinel switched the master"));
        }
        notConnected = null;
        log.info("redis engine connected ({}), epoch {}", redis.cluster ? "cluster" : "standalone/sentinel", epoch);
    }

    private static <T> T await(java.util.concurrent.CompletionStage<T> stage, long timeoutMillis) {
        try {
            return stage.toCompletableFuture().get(timeoutMillis * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to Redis", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable cause = Failures.cause(e);
            throw new IllegalStateException(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
        }
    }

    /** Fails every call while the node has not connected to Redis yet; null once connected. */
    private <T> CompletableFuture<T> unavailable() {
        return CompletableFuture.failedFuture(new EngineUnavailableException(notConnected, null));
    }

    @Override
    public CompletableFuture<Integer> publish(Publication publication) {
        if (notConnected != null) {
            return unavailable();
        }
        long now = System.currentTimeMillis();
        PublicationId id = publicationId(publication);
        if (publication.isBroadcast()) {
            // Once appended the message is accepted: failing to count the devices must not turn it into a 503.
            return RedisFutures.guard(append(null, publication, "", now, id))
                    .thenCompose(appended -> onlineDevices().exceptionally(error -> {
                        log.warn("broadcast accepted, but the devices online could not be counted: {}", error.getMessage());
                        return 0;
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
            owners.forEach((uid, devices) -> plan.put(uid, String.join(",", new java.util.TreeSet<>(devices))));
            List<CompletableFuture<Integer>> appends = new ArrayList<>();
            plan.forEach((uid, devices) -> appends.add(append(uid, publication, devices, now, id)));
            return CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new))
                    .thenApply(all -> appends.stream().mapToInt(CompletableFuture::join).sum());
        }));
    }

    /**
     * The id that makes a publication's appends idempotent, and how long it is remembered. Every publication has one:
     * Lettuce re-sends a command that was written but not answered when its connection dropped, and the re-sent
     * script must not append twice (a random id, remembered well past the command timeout). A send with an
     * idempotency key uses the key, remembered for the idempotency window, so a repeat on any node is answered
     * with the first result.
     */
    private record PublicationId(String id, long ttlMillis) {
    }

    private PublicationId publicationId(Publication publication) {
        if (publication.idempotencyKey() != null) {
            return new PublicationId("k:" + publication.idempotencyKey(), config.sse().idempotencyWindowSeconds() * 1000);
        }
        long resentWithinMillis = Math.max(60_000, 10_000L * config.redis().timeoutSeconds());
        return new PublicationId("r:" + Long.toString(new SecureRandom().nextLong() >>> 1, 36), resentWithinMillis);
    }

    /** Appends to one stream and publishes on its channel, once per id; returns the stream's target devices online. */
    private CompletableFuture<Integer> append(String uid, Publication publication, String devices, long now, PublicationId id) {
        String[] scriptKeys = uid == null
                ? new String[] {keys.broadcastStream(), keys.broadcastMeta(), keys.broadcastChannel(), keys.broadcastMeta(),
                        keys.broadcastPublication(id.id())}
                : new String[] {keys.userStream(uid), keys.userMeta(uid), keys.userChannel(uid), keys.userPresence(uid),
                        keys.userPublication(uid, id.id())};
        long expireMillis = config.sse().historyExpireSeconds() * 1000;
        return scripts.run(RedisScripts.Script.PUBLISH, scriptKeys,
                        publication.event() == null ? "" : publication.event(), publication.data(), devices,
                        Long.toString(now), Integer.toString(config.sse().historySize()),
                        StreamIds.atMillis(now - expireMillis), Long.toString(retentionMillis()),
                        uid == null ? "0" : Long.toString(META_TTL_MILLIS), uid == null ? "none" : "user",
                        Long.toString(id.ttlMillis()))
                .thenApply(result -> ((Long) result.get(1)).intValue());
    }

    private CompletableFuture<Integer> onlineDevices() {
        return liveness.nodes().thenApply(nodes -> nodes.stream().mapToInt(NodeStatus::deviceCount).sum());
    }

    /**
     * Subscribes to the user's channel first (so nothing published from now on can pass this node by), then writes
     * the presence entry, reading the user's stream position in the same script: the connection starts there.
     */
    @Override
    public CompletableFuture<Registration> register(DeviceSession session, int maxDevicesPerUser) {
        if (notConnected != null) {
            return unavailable();
        }
        // Known as local before Redis records it, so that a recovery running meanwhile does not take it for departed.
        localSessions.put(session.nonce(), session);
        boolean[] announced = {false};
        CompletableFuture<Void> subscribed = routing.acquire(session.uid());
        CompletableFuture<String> broadcastLast = redis.commands.hget(keys.broadcastMeta(), "last").toCompletableFuture();
        return RedisFutures.guard(subscribed.thenCombine(broadcastLast, (live, last) -> StreamIds.toOffset(last))
                .thenCompose(broadcastOffset -> presence.register(session, maxDevicesPerUser).thenCompose(registered -> {
                    if (!registered.accepted()) {
                        localSessions.remove(session.nonce());
                        routing.release(session.uid());
                        return CompletableFuture.completedFuture(Registration.refused());
                    }
                    announced[0] = true;
                    routing.startUserAt(session.uid(), registered.userOffset());
                    Registration registration = new Registration(true, registered.first(), registered.replaced(),
                            new Position(epoch, registered.userOffset(), broadcastOffset));
                    return registered.replaced() == null ? CompletableFuture.completedFuture(registration)
                            : extrude(registered.replaced(), session.clientAddress()).thenApply(done -> registration);
                })))
                .whenComplete((registration, error) -> {
                    if (error != null) {
                        rollBack(session, announced[0]);
                    }
                });
    }

    /**
     * A registration that failed half-way leaves nothing behind: no presence, no session, no subscription count. Its
     * removal is reported only when its arrival was: an offline never comes without its online.
     */
    private void rollBack(DeviceSession session, boolean announced) {
        localSessions.remove(session.nonce());
        routing.release(session.uid());
        CompletableFuture<?> removal = announced ? presence.unregister(session, StateChange.DEVICE_DISCONNECT)
                : presence.withdraw(session);
        removal.whenComplete((done, error) -> {
            if (error != null) {
                presenceDirty.set(true);
                log.warn("removing the presence of a failed registration failed: {}", error.getMessage());
            }
        });
    }

    /** Ends the replaced connection wherever it is: remembered as ended first, so its reconnect gets 204. */
    private CompletableFuture<Void> extrude(DeviceSession replaced, String byClientAddress) {
        return markEndedAsync(replaced.nonce()).thenCompose(done -> {
            if (localSessions.containsKey(replaced.nonce())) {
                listener.extrude(replaced, byClientAddress);
                return CompletableFuture.completedFuture(null);
            }
            return sendControl(Map.of("type", "extrude", "uid", replaced.uid(), "device", replaced.device(),
                    "nonce", replaced.nonce(), "by", byClientAddress));
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
                presenceDirty.set(true); // removed once Redis answers again
            }
        });
    }

    @Override
    public CompletableFuture<Replay> replay(String uid, String device, Optional<Position> from) {
        if (notConnected != null) {
            return unavailable();
        }
        boolean sameHistory = from.map(p -> p.epoch().equals(epoch)).orElse(true);
        CompletableFuture<StreamSlice> user = slice(uid, from.map(Position::userOffset), sameHistory, device);
        CompletableFuture<StreamSlice> all = slice(null, from.map(Position::broadcastOffset), sameHistory, device);
        return RedisFutures.guard(user.thenCombine(all, (u, b) -> {
            List<StreamMessage> messages = new ArrayList<>(u.messages());
            messages.addAll(b.messages());
            messages.sort(Comparator.comparingLong(StreamMessage::offset));
            String reason = u.resetReason() != null ? u.resetReason() : b.resetReason();
            return new Replay(new Position(epoch, u.start(), b.start()), messages, reason);
        }));
    }

    /** One stream's part of a replay: where the connection starts, what it gets, why it is reset (or null). */
    private record StreamSlice(long start, long head, List<StreamMessage> messages, String resetReason) {
    }

    private CompletableFuture<StreamSlice> slice(String uid, Optional<Long> cursor, boolean sameHistory, String device) {
        String cursorId = cursor.isEmpty() ? "" : !sameHistory ? "-" : StreamIds.toId(cursor.get());
        return readStream(uid, cursorId).thenCompose(read -> {
            long head = read.last();
            if (cursor.isEmpty()) {
                return CompletableFuture.completedFuture(new StreamSlice(head, head, List.of(), null));
            }
            String reason = !sameHistory ? Replay.HISTORY_LOST
                    : read.lastId().isEmpty() && cursor.get() > 0 ? Replay.EXPIRED
                    : cursor.get() > head ? Replay.UNKNOWN_CURSOR
                    : cursor.get() < read.cut() ? Replay.EXPIRED : null;
            if (reason == null || reason.equals(Replay.HISTORY_LOST)) {
                return CompletableFuture.completedFuture(new StreamSlice(reason == null ? cursor.get() : read.cut(), head,
                        addressedTo(read.messages(), device), reason));
            }
            return readStream(uid, "-").thenApply(everything ->
                    new StreamSlice(everything.cut(), everything.last(), addressedTo(everything.messages(), device), reason));
        });
    }

    private record StreamRead(String lastId, long last, long cut, List<StreamMessage> messages) {
    }

    private CompletableFuture<StreamRead> readStream(String uid, String cursorId) {
        String[] scriptKeys = uid == null ? new String[] {keys.broadcastStream(), keys.broadcastMeta()}
                : new String[] {keys.userStream(uid), keys.userMeta(uid)};
        return scripts.run(RedisScripts.Script.REPLAY, scriptKeys, cursorId, Integer.toString(config.sse().historySize() + 16))
                .thenApply(result -> {
                    List<StreamMessage> messages = new ArrayList<>();
                    for (Object entry : (List<?>) result.get(2)) {
                        messages.add(ChannelMessage.fromEntry(uid, (List<?>) entry));
                    }
                    String lastId = (String) result.get(0);
                    return new StreamRead(lastId, StreamIds.toOffset(lastId), StreamIds.toOffset((String) result.get(1)), messages);
                });
    }

    private CompletableFuture<StreamFollower.Missed> readAfter(String uid, long offset) {
        return readStream(uid, StreamIds.toId(offset)).thenApply(read -> new StreamFollower.Missed(read.cut(), read.messages()));
    }

    private static List<StreamMessage> addressedTo(List<StreamMessage> messages, String device) {
        return messages.stream().filter(message -> message.addressedTo(device)).toList();
    }

    @Override
    public CompletableFuture<Integer> kick(Set<String> uids, Set<String> devices, String data) {
        if (notConnected != null) {
            return unavailable();
        }
        long now = System.currentTimeMillis();
        SetArgs ttl = SetArgs.Builder.px(config.jwt().maxExpireSeconds() * 1000);
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
        Map<String, Object> command = new LinkedHashMap<>();
        command.put("type", "kick");
        command.put("uids", List.copyOf(uids));
        command.put("devices", List.copyOf(devices));
        command.put("data", data);
        return RedisFutures.guard(CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new))
                .thenCompose(done -> sendControl(command))
                .thenApply(sent -> ended.size()));
    }

    @Override
    public CompletableFuture<Boolean> isRevoked(String uid, String device, long issuedAtMillis) {
        if (notConnected != null) {
            return unavailable();
        }
        CompletableFuture<String> byUid = redis.commands.get(keys.kickedUid(uid)).toCompletableFuture();
        CompletableFuture<String> byDevice = redis.commands.get(keys.kickedDevice(device)).toCompletableFuture();
        return RedisFutures.guard(byUid.thenCombine(byDevice, (a, b) -> {
            long kickedAt = Math.max(a == null ? -1 : Long.parseLong(a), b == null ? -1 : Long.parseLong(b));
            return kickedAt >= 0 && issuedAtMillis < kickedAt;
        }));
    }

    @Override
    public void markEnded(String nonce) {
        if (notConnected != null) {
            log.warn("cannot remember an ended connection: {}", notConnected);
            return;
        }
        markEndedAsync(nonce).whenComplete(RedisRouting.logFailure("remembering an ended connection"));
    }

    private CompletableFuture<Void> markEndedAsync(String nonce) {
        return redis.commands.set(keys.endedConnection(nonce), "1", SetArgs.Builder.px(config.jwt().maxExpireSeconds() * 1000))
                .toCompletableFuture().thenApply(ok -> null);
    }

    @Override
    public CompletableFuture<Boolean> isEnded(String nonce) {
        if (notConnected != null) {
            return unavailable();
        }
        return RedisFutures.guard(redis.commands.exists(keys.endedConnection(nonce)).toCompletableFuture().thenApply(n -> n > 0));
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
        return supervisor.health().thenCompose(problem -> {
            if (problem.isPresent()) {
                return CompletableFuture.failedFuture(new EngineUnavailableException(problem.get(), null));
            }
            String id = Long.toString(new SecureRandom().nextLong() >>> 1, 36);
            CompletableFuture<Void> back = new CompletableFuture<>();
            canaries.put(id, back);
            scheduler.schedule(() -> canaries.remove(id), 5, TimeUnit.SECONDS);
            return RedisFutures.guard(sendControl(Map.of("type", "ping", "node", nodeId, "id", id))).thenCompose(sent -> back);
        });
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
            redis.close();
        }
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    /** Reports a presence change: on the go-sse-broker channels, and to the node's own listener (webhooks). */
    private void changed(StateChange change) {
        redis.commands.publish(change.kind().channel(), new String(stateChangeJson.encode(change), StandardCharsets.UTF_8))
                .whenComplete(RedisRouting.logFailure("publishing a presence change"));
        stateChanges.stateChanged(change);
    }

    private CompletableFuture<Void> sendControl(Map<String, Object> command) {
        try {
            return redis.commands.spublish(keys.controlChannel(), JSON.writeValueAsString(command)).toCompletableFuture()
                    .thenApply(receivers -> null);
        } catch (JsonProcessingException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** A command from a node (this one included): extrude one of ours, or kick. */
    private void control(String payload) {
        try {
            JsonNode command = JSON.readTree(payload);
            switch (command.path("type").asText()) {
                case "extrude" -> {
                    DeviceSession held = localSessions.get(command.path("nonce").asText());
                    if (held != null) {
                        listener.extrude(held, command.path("by").asText());
                    }
                }
                case "ping" -> {
                    CompletableFuture<Void> back = command.path("node").asText().equals(nodeId)
                            ? canaries.remove(command.path("id").asText()) : null;
                    if (back != null) {
                        back.complete(null);
                    }
                }
                case "kick" -> listener.kick(texts(command.path("uids")), texts(command.path("devices")),
                        command.path("data").asText());
                default -> log.debug("ignored control message {}", payload);
            }
        } catch (JsonProcessingException e) {
            log.warn("ignored a malformed control message");
        }
    }

    private static Set<String> texts(JsonNode array) {
        Set<String> out = new LinkedHashSet<>();
        array.forEach(item -> out.add(item.asText()));
        return out;
    }

    /** The history epoch: made once per Redis deployment; a new one means the history was lost. */
    private CompletableFuture<String> ensureEpoch() {
        String candidate = Long.toString(new SecureRandom().nextLong() >>> 16, 36);
        return redis.commands.setnx(keys.epoch(), candidate).toCompletableFuture()
                .thenCompose(created -> redis.commands.get(keys.epoch()).toCompletableFuture());
    }

    /**
     * Notices Redis losing its data while connected (a flush, an eviction of the epoch key): the history is then
     * new, and the presence of this node's devices must be written again.
     */
    private void checkHistory() {
        redis.commands.get(keys.epoch()).thenAccept(current -> {
            if (!epoch.equals(current)) {
                recover();
            } else if (presenceDirty.compareAndSet(true, false)) {
                dropDepartedSessions().whenComplete((done, error) -> {
                    if (error != null) {
                        presenceDirty.set(true);
                    }
                });
            }
        });
    }

    /**
     * A device's owner is kept for the retention time after it was last written; devices connected longer than that
     * must not lose it (messages to the device and its extrusion across users depend on it).
     */
    private void refreshOwners() {
        for (DeviceSession session : localSessions.values()) {
            redis.commands.pexpire(keys.deviceOwner(session.device()), retentionMillis());
        }
    }

    /**
     * After a reconnect: Redis may have restarted, failed over or lost data. Register this node's devices again,
     * subscribe again and read every followed stream from the last message delivered, so nothing is lost.
     */
    private void recover() {
        if (notConnected != null) {
            return;
        }
        if (!recovering.compareAndSet(false, true)) {
            recoverAgain.set(true); // a reconnect during a recovery: run once more when this one ends
            return;
        }
        recoverAgain.set(false);
        ensureEpoch()
                .thenAccept(current -> {
                    if (!current.equals(epoch)) {
                        log.warn("Redis history was lost (epoch {} is now {})", epoch, current);
                        epoch = current;
                        listener.historyRestarted(current);
                    }
                })
                .thenCompose(done -> liveness.beat())
                .thenCompose(done -> reregister())
                .thenRun(routing::catchUpAll)
                .whenComplete((done, error) -> {
                    recovering.set(false);
                    if (error != null) {
                        log.warn("recovery after a Redis reconnect failed, retrying: {}", error.getMessage());
                        scheduler.schedule(this::recover, 1, TimeUnit.SECONDS);
                    } else {
                        log.info("recovered after a Redis reconnect: {} local devices checked", localSessions.size());
                        if (recoverAgain.get()) {
                            scheduler.execute(this::recover);
                        }
                    }
                });
    }

    private CompletableFuture<Void> reregister() {
        return dropDepartedSessions().thenCompose(done -> restoreLocalSessions());
    }

    /** Connections that closed while Redis was unreachable could not remove their presence: remove it now. */
    private CompletableFuture<Void> dropDepartedSessions() {
        return presence.nodeSessions().thenCompose(recorded -> {
            List<CompletableFuture<?>> removals = new ArrayList<>();
            for (DeviceSession session : recorded) {
                if (!localSessions.containsKey(session.nonce())) {
                    removals.add(presence.unregister(session, StateChange.DEVICE_DISCONNECT));
                }
            }
            return CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new));
        });
    }

    /**
     * Writes again the presence of this node's connections that Redis no longer has (lost data, or cleared as a dead
     * node's), unless the connection was ended or its device now belongs to another user meanwhile.
     */
    private CompletableFuture<Void> restoreLocalSessions() {
        List<CompletableFuture<?>> steps = new ArrayList<>();
        for (DeviceSession session : localSessions.values()) {
            steps.add(redis.commands.hget(keys.userPresence(session.uid()), session.device()).toCompletableFuture()
                    .thenCompose(current -> {
                        if (current != null) {
                            DeviceSession holder = SessionJson.read(current);
                            if (!holder.nonce().equals(session.nonce())) {
                                listener.extrude(session, holder.clientAddress());
                                return CompletableFuture.completedFuture(null);
                            }
                            return presence.recordLocal(session).thenApply(done -> null);
                        }
                        return isEnded(session.nonce()).thenCombine(presence.owner(session.device()), (ended, owner) ->
                                        !ended && (owner == null || owner.equals(session.uid())))
                                .thenCompose(restore -> {
                                    if (restore) {
                                        return presence.register(session, Integer.MAX_VALUE).thenApply(done -> null);
                                    }
                                    listener.extrude(session, ""); // ended or taken by another user meanwhile
                                    return CompletableFuture.completedFuture(null);
                                });
                    }));
        }
        return CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new));
    }

    /**
     * How long a user stream's bookkeeping (last id, last trimmed id) outlives its last message: a cursor that
     * comes back within it is told exactly whether it missed something. The broadcast stream's never expires.
     */
    private static final long META_TTL_MILLIS = TimeUnit.DAYS.toMillis(30);

    private long retentionMillis() {
        return config.sse().historyExpireSeconds() * 1000 + 60_000;
    }
}
