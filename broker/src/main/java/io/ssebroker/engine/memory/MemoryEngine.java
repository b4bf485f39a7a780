package io.ssebroker.engine.memory;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.EngineListener;
import io.ssebroker.engine.NodeStatus;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Publication;
import io.ssebroker.engine.Registration;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StateChange;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.engine.StreamMessage;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
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
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single-node engine: streams, presence and revocations in this process. Its epoch is new on every start, so
 * a cursor from an earlier run is answered with {@code history_lost}.
 */
public final class MemoryEngine implements Engine {
    private static final Logger log = LoggerFactory.getLogger(MemoryEngine.class);
    private static final long PURGE_INTERVAL_SECONDS = 60;

    private final String epoch = Long.toString(new SecureRandom().nextLong() >>> 16, 36);
    private final int historySize;
    private final long historyAgeMillis;
    private final String nodeAddress;
    private final String version;
    private final long startTimeMillis = System.currentTimeMillis();
    private final AtomicLong offsets = new AtomicLong();
    private final MemoryHistory broadcast;
    private final ConcurrentHashMap<String, MemoryHistory> histories = new ConcurrentHashMap<>();
    private final ExpiringMarks kicks;
    private final RecentlyEnded endedConnections;
    private final RememberedResults idempotent;

    private final Object presenceLock = new Object();
    /** How many registrations were accepted (under the presence lock): their decision order. */
    private long accepted;
    private final Map<String, DeviceSession> sessions = new HashMap<>();
    /**
     * Connections replaced by a newer one of their device, by nonce, until their own removal comes (they may still
     * be registering, or closing): should the newer one end before it went live, such a one that was not ended
     * (registering or replaying still) gets its device back.
     */
    private final Map<String, DeviceSession> replacedOpen = new HashMap<>();
    private final Map<String, Set<String>> devicesByUid = new HashMap<>();
    private final DeviceOwners lastOwner;

    private final ByteBufAllocator allocator;
    private final ScheduledExecutorService janitor =
            Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("memory-engine-janitor", true));
    private volatile EngineListener listener;
    private final StateChangeListener stateChanges;

    public MemoryEngine(BrokerConfig config, String nodeAddress, String version, StateChangeListener stateChanges) {
        this(config, nodeAddress, version, stateChanges, PooledByteBufAllocator.DEFAULT);
    }

    /** @param allocator where the streams' retained messages are kept (the process's pool; a counting one in tests) */
    MemoryEngine(BrokerConfig config, String nodeAddress, String version, StateChangeListener stateChanges,
                 ByteBufAllocator allocator) {
        this.allocator = allocator;
        this.stateChanges = stateChanges;
        this.historySize = config.sse().historySize();
        this.historyAgeMillis = config.sse().historyExpireSeconds() * 1000;
        this.nodeAddress = nodeAddress;
        this.version = version;
        this.broadcast = new MemoryHistory(null, historySize, historyAgeMillis, offsets, allocator);
        long revocationMillis = config.jwt().revocationSeconds() * 1000;
        this.kicks = new ExpiringMarks(revocationMillis);
        this.endedConnections = new RecentlyEnded(config.limits().endedConnectionsPerUser(), revocationMillis);
        // Every device a user may have online, and as many again offline, for messages sent while they are away.
        this.lastOwner = new DeviceOwners(Math.max(64, 4 * config.limits().maxDevicesPerUser()));
        this.idempotent = new RememberedResults(config.sse().idempotencyWindowSeconds() * 1000);
    }

    @Override
    public void start(EngineListener listener) {
        this.listener = listener;
        janitor.scheduleWithFixedDelay(this::purge, PURGE_INTERVAL_SECONDS, PURGE_INTERVAL_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public CompletableFuture<Integer> publish(Publication publication) {
        long now = System.currentTimeMillis();
        int online = publication.idempotencyKey() == null ? publishNow(publication, now)
                : idempotent.once(publication.idempotencyKey(), now, () -> publishNow(publication, now));
        return CompletableFuture.completedFuture(online);
    }

    /** Appends to the target streams (delivering at once); returns the target devices online. */
    private int publishNow(Publication publication, long now) {
        if (publication.isBroadcast()) {
            broadcast.append(publication.event(), publication.data(), Set.of(), now, listener::deliver);
            synchronized (presenceLock) {
                return sessions.size();
            }
        }
        // The users addressed by uid get the message untagged (all their devices); the owner of a device addressed
        // alone gets it tagged with the devices. A send to users only (the usual one) builds no map.
        Map<String, Set<String>> devicesByOwner = publication.devices().isEmpty() ? Map.of() : new LinkedHashMap<>();
        int online;
        synchronized (presenceLock) {
            online = onlineDevices(publication.uids(), publication.devices());
            for (String device : publication.devices()) {
                DeviceSession session = sessions.get(device);
                String owner = session != null ? session.uid() : lastOwner.owner(device);
                if (owner == null) {
                    continue; // never seen: no user stream to keep it in
                }
                if (!publication.uids().contains(owner)) { // else already addressed to all the owner's devices
                    devicesByOwner.computeIfAbsent(owner, k -> new LinkedHashSet<>()).add(device);
                }
            }
        }
        for (String uid : publication.uids()) {
            appendToUser(uid, publication, Set.of(), now);
        }
        devicesByOwner.forEach((owner, devices) -> appendToUser(owner, publication, Set.copyOf(devices), now));
        return online;
    }

    /** Appends to the user's stream under its map entry's lock (see {@link #register}), delivering at once. */
    private void appendToUser(String uid, Publication publication, Set<String> devices, long now) {
        histories.compute(uid, (key, history) -> {
            MemoryHistory target = history != null ? history : newHistory(uid);
            target.append(publication.event(), publication.data(), devices, now, listener::deliver);
            return target;
        });
    }

    @Override
    public CompletableFuture<Registration> register(DeviceSession session, int maxDevicesPerUser, long tokenIssuedAtMillis) {
        DeviceSession replaced;
        boolean first;
        Position start;
        long decisionOrder;
        // Taken before the presence lock (the janitor locks a history's map entry, then the presence lock), and
        // touched so that the janitor leaves it.
        MemoryHistory history;
        do {
            history = histories.computeIfAbsent(session.uid(), this::newHistory);
            history.touch(System.currentTimeMillis());
        } while (histories.get(session.uid()) != history);
        synchronized (presenceLock) {
            Set<String> devices = devicesByUid.getOrDefault(session.uid(), Set.of());
            long now = System.currentTimeMillis();
            DeviceSession current = sessions.get(session.device());
            if (current != null && current.nonce().equals(session.nonce())) {
                // the same connection again: nothing changes, nobody is extruded
                return CompletableFuture.completedFuture(Registration.accepted(devices.size() == 1, null,
                        new Position(epoch, history.head(), broadcast.head()), ++accepted));
            }
            // Under the presence lock, which a kick takes after revoking: it refuses this connection or finds it.
            if (revoked(session.uid(), session.device(), tokenIssuedAtMillis, now)) {
                return CompletableFuture.completedFuture(Registration.revoked());
            }
            int others = devices.size() - (devices.contains(session.device()) ? 1 : 0);
            if (others >= maxDevicesPerUser) {
                return CompletableFuture.completedFuture(Registration.tooManyDevices());
            }
            replaced = sessions.put(session.device(), session);
            if (replaced != null) {
                replacedOpen.put(replaced.nonce(), replaced);
                emit(StateChange.Kind.DEVICE_OFFLINE, replaced, StateChange.EXTRUDE_OFFLINE, now);
                if (!replaced.uid().equals(session.uid())) {
                    removeFromUser(replaced, StateChange.EXTRUDE_OFFLINE, now);
                }
            }
            first = addToUser(session, now);
            // Under the presence lock: a send that counts this device online appends after these heads.
            start = new Position(epoch, history.head(), broadcast.head());
            decisionOrder = ++accepted;
        }
        if (replaced != null) {
            endedConnections.mark(replaced.uid(), replaced.nonce(), System.currentTimeMillis());
            listener.extrude(replaced, session.clientAddress());
        }
        return CompletableFuture.completedFuture(Registration.accepted(first, replaced, start, decisionOrder));
    }

    @Override
    public CompletableFuture<Boolean> unregister(DeviceSession session, String reason) {
        synchronized (presenceLock) {
            replacedOpen.remove(session.nonce());
            DeviceSession current = sessions.get(session.device());
            if (current == null || !current.nonce().equals(session.nonce())) {
                return CompletableFuture.completedFuture(false);
            }
            sessions.remove(session.device());
            long now = System.currentTimeMillis();
            emit(StateChange.Kind.DEVICE_OFFLINE, session, reason, now);
            removeFromUser(session, reason, now);
        }
        MemoryHistory history = histories.get(session.uid());
        if (history != null) {
            history.touch(System.currentTimeMillis());
        }
        return CompletableFuture.completedFuture(true);
    }

    @Override
    public CompletableFuture<Replay> replay(String uid, String device, Optional<Position> from) {
        long now = System.currentTimeMillis();
        boolean sameHistory = from.map(p -> p.epoch().equals(epoch)).orElse(true);
        MemoryHistory.Slice[] user = new MemoryHistory.Slice[1];
        histories.compute(uid, (key, history) -> {
            MemoryHistory target = history != null ? history : newHistory(uid);
            target.touch(now);
            user[0] = from.isEmpty() ? new MemoryHistory.Slice(target.head(), List.of(), null)
                    : target.replay(sameHistory ? from.get().userOffset() : null, device, now);
            return target;
        });
        MemoryHistory.Slice all = from.isEmpty() ? new MemoryHistory.Slice(broadcast.head(), List.of(), null)
                : broadcast.replay(sameHistory ? from.get().broadcastOffset() : null, device, now);
        List<StreamMessage> messages = new ArrayList<>(user[0].messages().size() + all.messages().size());
        messages.addAll(user[0].messages());
        messages.addAll(all.messages());
        messages.sort(Comparator.comparingLong(StreamMessage::offset));
        String reason = user[0].resetReason() != null ? user[0].resetReason() : all.resetReason();
        return CompletableFuture.completedFuture(
                new Replay(new Position(epoch, user[0].start(), all.start()), messages, reason));
    }

    @Override
    public CompletableFuture<Integer> kick(Set<String> uids, Set<String> devices, String data) {
        long now = System.currentTimeMillis();
        uids.forEach(uid -> kicks.mark("uid:" + uid, now));
        devices.forEach(device -> kicks.mark("device:" + device, now));
        int online;
        synchronized (presenceLock) {
            online = onlineDevices(uids, devices);
        }
        return listener.kick(uids, devices, data, now).thenApply(ended -> online);
    }

    /**
     * The devices online among these users' and these devices, each counted once: a device is online under one user
     * only, so the users' devices and the listed devices of other users add up. Called under the presence lock.
     */
    private int onlineDevices(Set<String> uids, Set<String> devices) {
        int online = 0;
        for (String uid : uids) {
            online += devicesByUid.getOrDefault(uid, Set.of()).size();
        }
        for (String device : devices) {
            DeviceSession session = sessions.get(device);
            if (session != null && !uids.contains(session.uid())) {
                online++;
            }
        }
        return online;
    }

    @Override
    public CompletableFuture<Boolean> isRevoked(String uid, String device, long issuedAtMillis) {
        return CompletableFuture.completedFuture(revoked(uid, device, issuedAtMillis, System.currentTimeMillis()));
    }

    private boolean revoked(String uid, String device, long issuedAtMillis, long now) {
        long kickedAt = Math.max(kicks.markedAt("uid:" + uid, now), kicks.markedAt("device:" + device, now));
        return kickedAt >= 0 && issuedAtMillis < kickedAt;
    }

    @Override
    public void markEnded(String uid, String nonce) {
        endedConnections.mark(uid, nonce, System.currentTimeMillis());
    }

    @Override
    public void takeBackReplaced(DeviceSession session, DeviceSession replaced, boolean replacedEnded) {
        endedConnections.unmark(replaced.uid(), replaced.nonce());
        // Not ended, the replaced connection may be registering or replaying still (it then goes live): its device,
        // which the ended one's removal left offline, is its own again, as the Redis engine writes it again.
        synchronized (presenceLock) {
            if (!replacedEnded && replacedOpen.remove(replaced.nonce()) != null
                    && !sessions.containsKey(replaced.device())) {
                sessions.put(replaced.device(), replaced);
                addToUser(replaced, System.currentTimeMillis());
            }
        }
    }

    @Override
    public CompletableFuture<Boolean> isEnded(String uid, String nonce) {
        return CompletableFuture.completedFuture(endedConnections.contains(uid, nonce, System.currentTimeMillis()));
    }

    @Override
    public CompletableFuture<Optional<DeviceSession>> device(String device) {
        synchronized (presenceLock) {
            return CompletableFuture.completedFuture(Optional.ofNullable(sessions.get(device)));
        }
    }

    @Override
    public CompletableFuture<List<DeviceSession>> userDevices(String uid) {
        synchronized (presenceLock) {
            List<DeviceSession> out = new ArrayList<>();
            for (String device : devicesByUid.getOrDefault(uid, Set.of())) {
                out.add(sessions.get(device));
            }
            out.sort(Comparator.comparingLong(DeviceSession::loginTimeMillis));
            return CompletableFuture.completedFuture(out);
        }
    }

    @Override
    public CompletableFuture<List<NodeStatus>> nodes() {
        synchronized (presenceLock) {
            return CompletableFuture.completedFuture(
                    List.of(new NodeStatus(true, version, nodeAddress, startTimeMillis, sessions.size())));
        }
    }

    @Override
    public CompletableFuture<Integer> userCount() {
        synchronized (presenceLock) {
            return CompletableFuture.completedFuture(devicesByUid.size());
        }
    }

    /** Messages are routed by direct calls within this process: there is no path that could be broken. */
    @Override
    public CompletableFuture<Void> ping() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
        janitor.shutdownNow();
        histories.values().forEach(MemoryHistory::release);
        broadcast.release();
    }

    private MemoryHistory newHistory(String uid) {
        return new MemoryHistory(uid, historySize, historyAgeMillis, offsets, allocator);
    }

    /** Counts the session's device among its user's (under the presence lock): true when it is the user's first. */
    private boolean addToUser(DeviceSession session, long now) {
        Set<String> userDevices = devicesByUid.computeIfAbsent(session.uid(), k -> new HashSet<>());
        boolean first = userDevices.isEmpty();
        userDevices.add(session.device());
        lastOwner.record(session.device(), session.uid(), userDevices);
        if (first) {
            emit(StateChange.Kind.USER_ONLINE, session, StateChange.DEVICE_CONNECTED, now);
        }
        emit(StateChange.Kind.DEVICE_ONLINE, session, StateChange.DEVICE_CONNECTED, now);
        return first;
    }

    /** Takes a device out of its user's set (under the presence lock); the user goes offline with its last device. */
    private void removeFromUser(DeviceSession session, String reason, long now) {
        Set<String> devices = devicesByUid.get(session.uid());
        if (devices != null && devices.remove(session.device()) && devices.isEmpty()) {
            devicesByUid.remove(session.uid());
            emit(StateChange.Kind.USER_OFFLINE, session, reason, now);
        }
    }

    private void emit(StateChange.Kind kind, DeviceSession session, String reason, long now) {
        stateChanges.stateChanged(new StateChange(kind, session.uid(), session.device(), reason, now));
    }

    /**
     * Drops expired marks and the streams of users offline and idle for longer than the retention window. A failure
     * is logged, and the next round runs all the same: a scheduled task that throws is never run again, and what it
     * purges would then grow without end.
     */
    private void purge() {
        try {
            purgeExpired(System.currentTimeMillis());
        } catch (RuntimeException e) {
            log.error("purging expired marks and idle streams failed; trying again at the next round", e);
        }
    }

    private void purgeExpired(long now) {
        kicks.purge(now);
        endedConnections.purge(now);
        idempotent.purge(now);
        for (String uid : histories.keySet()) {
            histories.computeIfPresent(uid, (key, history) -> {
                synchronized (presenceLock) {
                    if (devicesByUid.containsKey(uid) || !history.isDisposable(now)) {
                        return history;
                    }
                    lastOwner.forgetUser(uid);
                    return null;
                }
            });
        }
    }
}
