package io.ssebroker.engine.redis;

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.EngineListener;
import io.ssebroker.engine.Failures;
import io.ssebroker.engine.StateChange;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps what Redis holds about this node true when Redis itself lost it. Owns the history epoch (made once per Redis
 * deployment; a new one means Redis lost its data) and runs only when needed:
 * <ul>
 *   <li>a presence removal failed (Redis unreachable when a connection ended): the node's recorded sessions are
 *       compared with its connections once Redis answers, and the departed ones removed;</li>
 *   <li>Redis lost its data (a new epoch), or a peer took this node for dead and cleared its devices: every local
 *       connection is registered again and every followed stream read from the last message delivered;</li>
 *   <li>a master restarted or another server took over from it (its run id is gone from the masters'): it may have
 *       come back from an older snapshot, or a replica taken over without the last writes, the epoch kept in both
 *       cases. The same recovery registers again the local connections whose presence Redis no longer has, and
 *       walks the presence hashes of the new masters for entries of this node whose connection has ended, and of
 *       nodes that are gone (their removal lost).</li>
 * </ul>
 * A reconnect alone costs nothing here (a network blip keeps the servers and their data): subscriptions are the
 * {@link SubscriptionSupervisor}'s.
 */
final class NodeRecovery {
    private static final Logger log = LoggerFactory.getLogger(NodeRecovery.class);
    /** How long a recovery waits for a registration in flight (each of its steps is bounded by the command timeout). */
    private static final long REGISTRATION_WAIT_SECONDS = 30;
    /** How often a connection's presence entry is written again while Redis does not answer, one second apart. */
    private static final int RESTORE_ATTEMPTS = 60;

    private final RedisClusterAsyncCommands<String, String> commands;
    private final RedisKeys keys;
    private final RedisPresence presence;
    private final Map<String, DeviceSession> localSessions;
    private final Function<String, CompletableFuture<Void>> registration;
    private final EngineListener listener;
    private final Supplier<CompletableFuture<?>> beat;
    private final Runnable catchUpAll;
    private final BiFunction<String, String, CompletableFuture<Boolean>> isEnded;
    private final BiFunction<List<DeviceSession>, DeviceSession, CompletableFuture<Void>> endReplaced;
    private final PresenceSweep sweep;
    private final ScheduledExecutorService scheduler;
    /**
     * The asks to write a connection's presence again whose tries are under way (connection and failed connection),
     * with the tries left.
     */
    private final ConcurrentHashMap<String, AtomicInteger> restoresUnderWay = new ConcurrentHashMap<>();
    private final AtomicBoolean recovering = new AtomicBoolean();
    private final AtomicBoolean recoverAgain = new AtomicBoolean();
    private final AtomicBoolean presenceDirty = new AtomicBoolean();
    /**
     * Run ids of masters new since an earlier check (a replica that took over, a restarted master): their data may
     * lack the writes that removed entries, which nothing points to any more. Walked once each.
     */
    private final Set<String> toWalk = ConcurrentHashMap.newKeySet();
    /** A master was replaced since the last restore of this node's connections began (a recovery clears it). */
    private final AtomicBoolean mastersReplaced = new AtomicBoolean();
    private final Supplier<CompletableFuture<List<RedisClusterAsyncCommands<String, String>>>> masters;
    /** The masters' run ids at the last check. */
    private volatile Set<String> masterRunIds;
    private volatile String epoch;

    /**
     * @param localSessions this node's connections by nonce (read only here)
     * @param registration  the registration in flight of a connection (by nonce), completed once it is done whatever
     *                      its outcome; null when there is none
     * @param beat          renews this node's liveness
     * @param catchUpAll    makes every stream follower read what it missed
     * @param isEnded       whether a connection (uid, nonce) was kicked or extruded
     * @param endReplaced   ends connections (wherever they are) replaced by a connection of this node; never fails
     * @param sweep         removes entries of nodes that are gone
     * @param masters       the commands of each server that holds data now
     */
    NodeRecovery(RedisClusterAsyncCommands<String, String> commands, RedisKeys keys, RedisPresence presence,
                 Map<String, DeviceSession> localSessions, Function<String, CompletableFuture<Void>> registration, EngineListener listener, Supplier<CompletableFuture<?>> beat,
                 Runnable catchUpAll, BiFunction<String, String, CompletableFuture<Boolean>> isEnded,
                 BiFunction<List<DeviceSession>, DeviceSession, CompletableFuture<Void>> endReplaced, PresenceSweep sweep,
                 Supplier<CompletableFuture<List<RedisClusterAsyncCommands<String, String>>>> masters,
                 ScheduledExecutorService scheduler) {
        this.commands = commands;
        this.keys = keys;
        this.presence = presence;
        this.localSessions = localSessions;
        this.registration = registration;
        this.listener = listener;
        this.beat = beat;
        this.catchUpAll = catchUpAll;
        this.isEnded = isEnded;
        this.endReplaced = endReplaced;
        this.sweep = sweep;
        this.masters = masters;
        this.scheduler = scheduler;
    }

    /** The current history epoch (cursors carry it). */
    String epoch() {
        return epoch;
    }

    /** Reads the epoch, making it when Redis has none, and who the masters are; completes with the epoch. */
    CompletableFuture<String> start() {
        return currentMasters().thenCompose(current -> {
            masterRunIds = current == null ? null : Set.copyOf(current.keySet());
            if (current == null) {
                log.warn("cannot read the Redis masters' run ids (INFO server): a master that comes back without its last"
                        + " writes is noticed only when they included the history epoch");
            }
            return ensureEpoch();
        }).thenApply(current -> epoch = current);
    }

    /**
     * The masters by run id (each process has its own: one gone means a master restarted or another server took over
     * from it), or null when they cannot be read now (a master that does not answer within a second, or an ACL user
     * that may not run {@code INFO}): nothing is compared then.
     */
    private CompletableFuture<Map<String, RedisClusterAsyncCommands<String, String>>> currentMasters() {
        try {
            return masters.get().thenCompose(servers -> {
                List<CompletableFuture<String>> infos = servers.stream()
                        .map(server -> server.info("server").toCompletableFuture()).toList();
                return CompletableFuture.allOf(infos.toArray(CompletableFuture[]::new)).thenApply(done -> {
                    Map<String, RedisClusterAsyncCommands<String, String>> byRunId = new HashMap<>();
                    for (int i = 0; i < servers.size(); i++) {
                        byRunId.put(runId(infos.get(i).join()), servers.get(i));
                    }
                    return byRunId;
                });
            }).completeOnTimeout(null, 1, TimeUnit.SECONDS).exceptionally(unanswered -> null);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(null);
        }
    }

    private static String runId(String info) {
        for (String line : info.split("\\r?\\n")) {
            if (line.startsWith("run_id:")) {
                return line.substring("run_id:".length()).trim();
            }
        }
        throw new IllegalStateException("INFO server names no run_id");
    }

    /** A presence removal failed: compare the recorded sessions with the connections at the next check. */
    void presenceNeedsCheck() {
        presenceDirty.set(true);
    }

    /**
     * Runs every heartbeat: notices Redis losing its data (a flush, an eviction of the epoch key) or perhaps its last
     * writes (a master restarted or replaced), and removes the presence of connections whose removal failed.
     */
    void check() {
        commands.get(keys.epoch()).thenCombine(currentMasters(), (current, now) -> {
            boolean replaced = now != null && masterRunIds != null && !now.keySet().containsAll(masterRunIds);
            if (replaced) {
                log.warn("a Redis master restarted or was replaced: checking this node's presence");
                now.keySet().stream().filter(runId -> !masterRunIds.contains(runId)).forEach(toWalk::add);
                mastersReplaced.set(true);
            }
            if (now != null) {
                masterRunIds = Set.copyOf(now.keySet());
            }
            return epoch.equals(current) && !replaced;
        }).thenAccept(unchanged -> {
            if (!unchanged) {
                recover();
                return;
            }
            if (presenceDirty.compareAndSet(true, false)) {
                dropDepartedSessions().whenComplete((done, error) -> {
                    if (error != null) {
                        presenceDirty.set(true);
                    }
                });
            }
            if (!toWalk.isEmpty() && !recovering.get()) {
                walkNewMasters(); // a walk that failed before
            }
        }).whenComplete(RedisRouting.logFailure("checking the Redis history"));
    }

    /**
     * Registers this node's devices again and reads every followed stream from the last message delivered (Redis
     * lost its data, or this node was taken for dead). Coalesced: one at a time, once more if asked meanwhile.
     */
    void recover() {
        if (!recovering.compareAndSet(false, true)) {
            recoverAgain.set(true);
            return;
        }
        recoverAgain.set(false);
        // A master replaced since the last restore may have come back with older data: an entry of an older connection
        // of a device then stands where this node's newer one had replaced it. Else another connection's entry is newer.
        RedisPresence.Run run = mastersReplaced.getAndSet(false) ? RedisPresence.Run.AGAIN_OVER_OLDER : RedisPresence.Run.AGAIN;
        ensureEpoch()
                .thenAccept(current -> {
                    if (!current.equals(epoch)) {
                        log.warn("Redis history was lost (epoch {} is now {})", epoch, current);
                        epoch = current;
                        listener.historyRestarted(current);
                    }
                })
                .thenCompose(done -> beat.get())
                .thenRun(catchUpAll)
                // before the restore: an entry of an ended connection of the device would make a live one give way
                .thenCompose(done -> walkNewMasters())
                .thenCompose(done -> dropDepartedSessions())
                .thenCompose(done -> presence.recordPostingsAgain())
                .thenCompose(done -> restoreLocalSessions(run))
                .whenComplete((done, error) -> {
                    recovering.set(false);
                    if (error != null) {
                        if (run == RedisPresence.Run.AGAIN_OVER_OLDER) {
                            mastersReplaced.set(true); // for the retry
                        }
                        log.warn("recovery failed, retrying: {}", error.getMessage());
                        scheduler.schedule(this::recover, 1, TimeUnit.SECONDS);
                    } else {
                        log.info("recovered: {} local devices checked", localSessions.size());
                        if (recoverAgain.get()) {
                            scheduler.execute(this::recover);
                        }
                    }
                });
    }

    private CompletableFuture<String> ensureEpoch() {
        String candidate = Long.toString(new SecureRandom().nextLong() >>> 16, 36);
        return commands.setnx(keys.epoch(), candidate).toCompletableFuture()
                .thenCompose(created -> commands.get(keys.epoch()).toCompletableFuture());
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
     * Removes, from the masters new since an earlier check, the presence entries brought back by the loss of the
     * writes that had removed them, while the indexes and the online users (maybe on other masters) kept theirs:
     * entries naming this node whose connection it no longer holds, and entries of nodes that are gone (cleared as
     * dead meanwhile; the sweep, which walks the online users, would not find a user unlisted by that clear). A failure
     * leaves them to be walked at a later check; it never fails the recovery.
     */
    private CompletableFuture<Void> walkNewMasters() {
        if (toWalk.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        String self = presence.nodeId();
        return currentMasters().thenCompose(now -> {
            if (now == null) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            toWalk.retainAll(now.keySet()); // one that is gone again took its data with it
            Set<String> walking = Set.copyOf(toWalk);
            List<RedisClusterAsyncCommands<String, String>> servers = walking.stream().map(now::get).toList();
            return sweep.goneNodes()
                    .thenCompose(gone -> presence.entriesHeldBy(holder -> holder.equals(self) || gone.test(holder), servers))
                    .thenCompose(entries -> CompletableFuture.allOf(entries.stream()
                            .map(entry -> !entry.node().equals(self) ? sweep.removeIfStillGone(entry) : removeIfDeparted(entry.session()))
                            .toArray(CompletableFuture[]::new)))
                    .thenRun(() -> toWalk.removeAll(walking));
        }).exceptionally(error -> {
            log.warn("looking for presence entries of ended connections failed, again at the next check: {}",
                    Failures.cause(error).getMessage());
            return null;
        });
    }

    /** Removes this node's entry of a connection it no longer holds (nor is registering). */
    private CompletableFuture<?> removeIfDeparted(DeviceSession session) {
        return localSessions.containsKey(session.nonce()) || registration.apply(session.nonce()) != null
                ? CompletableFuture.completedFuture(null)
                : presence.remove(session.uid(), session.device(), session.nonce(), StateChange.DEVICE_DISCONNECT);
    }

    /**
     * Writes again the presence of this node's connections that Redis no longer has (lost data, or cleared as a dead
     * node's), and what goes with an entry it still has, unless the connection was ended or its device has another
     * user or connection by now (a newer connection: this one gives way and is ended). After a master lost writes
     * ({@link RedisPresence.Run#AGAIN_OVER_OLDER}), it gives way only to a connection that logged in no earlier: the
     * entry of one that logged in before it was brought back by the master that lost the write that replaced it (a
     * snapshot, a replica behind its master), and is replaced again, that connection ended should it still be open.
     */
    private CompletableFuture<Void> restoreLocalSessions(RedisPresence.Run run) {
        List<CompletableFuture<?>> steps = new ArrayList<>();
        for (DeviceSession session : localSessions.values()) {
            CompletableFuture<Void> inFlight = registration.apply(session.nonce());
            // A registration in flight may have been carried out by a master that has lost it since: looked at once
            // it is done, if it was accepted (one that does not end in time is left to a later recovery).
            steps.add(inFlight == null ? restoreLocalSession(session, run) : inFlight.copy()
                    .completeOnTimeout(null, REGISTRATION_WAIT_SECONDS, TimeUnit.SECONDS)
                    .thenCompose(done -> {
                        if (registration.apply(session.nonce()) != null) {
                            lookAgainLater(run); // still registering
                            return CompletableFuture.completedFuture(null);
                        }
                        return localSessions.containsKey(session.nonce()) ? restoreLocalSession(session, run)
                                : CompletableFuture.completedFuture(null);
                    }));
        }
        return CompletableFuture.allOf(steps.toArray(CompletableFuture[]::new));
    }

    /**
     * Writes again the presence entry of a connection of this node that the registration of connection
     * {@code failedNonce}, which then failed, removed (see {@link FailedRegistrations}), as a recovery does: unless a
     * newer connection has the device meanwhile (then this one is extruded) or it was ended. While the entry is still
     * the failed connection's (its removal not done yet, on another connection to Redis), and while Redis does not
     * answer, tried again each second, for as long as the connection is this node's, up to a minute. Asked again
     * meanwhile (the asking node repeats an ask it could not record), it starts no second round of tries: the round
     * under way has its minute from then.
     */
    void restore(DeviceSession connection, String failedNonce) {
        String ask = connection.nonce() + ' ' + failedNonce;
        AtomicInteger fresh = new AtomicInteger(RESTORE_ATTEMPTS);
        // under the map's lock of the ask: a round that is giving up either sees its tries given back or is gone
        AtomicInteger attempts = restoresUnderWay.compute(ask, (key, underWay) -> {
            if (underWay == null) {
                return fresh;
            }
            underWay.set(RESTORE_ATTEMPTS);
            return underWay;
        });
        if (attempts == fresh) {
            restore(connection, failedNonce, fresh, ask);
        }
    }

    private void restore(DeviceSession connection, String failedNonce, AtomicInteger attemptsLeft, String ask) {
        if (!localSessions.containsKey(connection.nonce())) {
            restoresUnderWay.remove(ask, attemptsLeft);
            return;
        }
        commands.hget(keys.userPresence(connection.uid()), connection.device()).toCompletableFuture()
                .thenCompose(current -> current != null && SessionJson.read(current).nonce().equals(failedNonce)
                        ? CompletableFuture.completedFuture(false)
                        : restoreLocalSession(connection, RedisPresence.Run.AGAIN).thenApply(done -> true))
                .whenComplete((done, error) -> {
                    if (error == null && done) {
                        restoresUnderWay.remove(ask, attemptsLeft);
                        return;
                    }
                    boolean triesLeft = restoresUnderWay.computeIfPresent(ask,
                            (key, left) -> left.decrementAndGet() > 0 ? left : null) != null;
                    if (triesLeft) {
                        scheduler.schedule(() -> restore(connection, failedNonce, attemptsLeft, ask), 1, TimeUnit.SECONDS);
                    } else {
                        log.warn("writing again the presence of connection {} of user {} failed: {}", connection.nonce(),
                                connection.uid(), error == null ? "the failed connection's entry stayed"
                                        : Failures.cause(error).getMessage());
                    }
                });
    }

    /** Has the recovery run once more after this one, as this one would have (a master replaced included). */
    private void lookAgainLater(RedisPresence.Run run) {
        if (run == RedisPresence.Run.AGAIN_OVER_OLDER) {
            mastersReplaced.set(true);
        }
        recoverAgain.set(true);
    }

    private CompletableFuture<Void> restoreLocalSession(DeviceSession session, RedisPresence.Run run) {
        return commands.hget(keys.userPresence(session.uid()), session.device()).toCompletableFuture()
                .thenCompose(current -> {
                    DeviceSession holder = current == null ? null : SessionJson.read(current);
                    if (holder != null && holder.nonce().equals(session.nonce())) {
                        return presence.recordLocal(session).thenCompose(done -> removeIfEnded(session));
                    }
                    if (holder != null && (run != RedisPresence.Run.AGAIN_OVER_OLDER
                            || holder.loginTimeMillis() >= session.loginTimeMillis())) {
                        listener.extrude(session, holder.clientAddress()); // a newer connection has the device
                        return CompletableFuture.completedFuture(null);
                    }
                    // no entry, or one of an older connection that this one had replaced, brought back with older data
                    return isEnded.apply(session.uid(), session.nonce())
                            .thenCompose(ended -> ended ? CompletableFuture.completedFuture(RedisPresence.Restored.GAVE_WAY)
                                    : presence.restore(session, run).exceptionallyCompose(error -> endReplaced.apply(
                                            FailedAfterRemoving.removedBy(error), session).thenCompose(endedAll ->
                                            CompletableFuture.<RedisPresence.Restored>failedFuture(error))))
                            .thenCompose(restored -> {
                                List<DeviceSession> replaced = restored.replaced() == null ? List.of() : List.of(restored.replaced());
                                if (!restored.registered()) {
                                    listener.extrude(session, ""); // ended, or a newer connection has the device
                                    return endReplaced.apply(replaced, session);
                                }
                                // Its user's channel is still followed: nothing to wait for.
                                return endReplaced.apply(replaced, session).thenCompose(done -> removeIfEnded(session));
                            });
                });
    }

    /**
     * A connection that ended while its presence was written again is removed again: what was written may have
     * landed after its removal.
     */
    private CompletableFuture<Void> removeIfEnded(DeviceSession session) {
        return localSessions.containsKey(session.nonce()) ? CompletableFuture.completedFuture(null)
                : presence.unregister(session, StateChange.DEVICE_DISCONNECT).thenApply(removed -> null);
    }
}
