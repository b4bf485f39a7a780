package io.ssebroker.engine.redis;

import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.ZAddArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Failures;
import io.ssebroker.engine.Registration;
import io.ssebroker.engine.StateChange;
import io.ssebroker.engine.StateChangeJson;
import io.ssebroker.engine.StateChangeListener;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Presence in Redis: one hash per user (device → session), updated by scripts that say atomically whether a
 * device was the user's first or last; the device's owner (for messages to an offline device); the sessions of
 * each node (to clear a dead node's devices); the set of online users. Reports every change it makes.
 */
final class RedisPresence {
    private static final Logger log = LoggerFactory.getLogger(RedisPresence.class);

    /**
     * Outcome of registering: refused (too many devices, or the token revoked by a kick), else first-of-user and the
     * session it replaced; the stale sessions other users still had on the device, taken besides it (see
     * take-owner.lua); the offset of the user's stream when the entry was written; and, accepted, where its script's
     * answer came among this node's (see {@link Registration#decisionOrder()}: the scripts of one user run on one
     * server, whose answers come in the order it ran them). A null outcome only between the two steps of a
     * registration on a single Redis: the device is another user's, nothing was written.
     */
    record Registered(Registration.Outcome outcome, boolean first, DeviceSession replaced, List<DeviceSession> alsoTaken,
                      long userOffset, long decisionOrder) {
        /** The connections whose presence this registration removed: to be ended. */
        List<DeviceSession> removed() {
            if (replaced == null) {
                return alsoTaken;
            }
            List<DeviceSession> all = new ArrayList<>(alsoTaken);
            all.add(0, replaced);
            return all;
        }
    }

    /** How many of a dead node's sessions its clear removes at once. */
    private static final int CLEAR_PAGE = 1000;

    /** The issue time of a session's token that no kick can have revoked: a session restored after Redis lost it. */
    private static final long ADMITTED_BEFORE = Long.MAX_VALUE;

    private static final Registered TOO_MANY_DEVICES =
            new Registered(Registration.Outcome.TOO_MANY_DEVICES, false, null, List.of(), -1, 0);

    /**
     * The registration script's status: nothing written (the connection was replaced already: run again after it
     * ended), nothing written (restoring, the device has another session or user), nothing
     * written (the device is another user's), refused as revoked, refused beyond the limit, first device of the user
     * (0: another device).
     */
    private static final long STATUS_ENDED = -5;
    private static final long STATUS_GAVE_WAY = -4;
    private static final long STATUS_OTHER_OWNER = -3;
    private static final long STATUS_REVOKED = -2;
    private static final long STATUS_TOO_MANY_DEVICES = -1;
    private static final long STATUS_FIRST = 1;
    /**
     * How long a device's take record is kept after its last move (take-owner.lua): a step re-sent after a reconnect
     * (Lettuce re-sends what it wrote before the connection broke, once it is back) answers as it did, and the give-back
     * of a registration that failed finds what it took, for as long as it is tried (a minute from the failure, which
     * comes a command timeout after the take): two minutes.
     */
    private static final long TAKE_RECORD_MILLIS = TimeUnit.MINUTES.toMillis(2);
    /**
     * A drain whose answer may have been lost is run again (see {@link AnswerLostRetry}) for as long as the record of
     * what a run took outlives the next run: the record is kept a minute, and a run is started only within half a
     * minute of the first, so that it reaches Redis in time even if it waits out a command timeout of several seconds
     * and a stalled Redis. An outage longer than that leaves the changes taken to this node's stop, or to a survivor.
     */
    private static final AnswerLostRetry DRAIN_RETRY = new AnswerLostRetry(TimeUnit.SECONDS.toMillis(30));
    /**
     * How recent a dead node's session's login is for its registration's records to be looked at when the node is
     * cleared: those are kept a minute after the registration (a login comes before it), with room for the clocks
     * of two hosts.
     */
    static final long JUST_REGISTERED_MILLIS = TimeUnit.MINUTES.toMillis(2);

    private final RedisClusterAsyncCommands<String, String> commands;
    private final ScriptRunner scripts;
    private final RedisKeys keys;
    /** The changes this node took for its webhook and has not posted yet; null when it posts none. */
    private final WebhookPostings postings;
    /** This node's takes of each user's changes, handed on in the order they were sent. */
    private final TakeTurns turns = new TakeTurns();
    /** How many registration scripts accepted a connection, counted as their answers come: their decision order. */
    private final AtomicLong accepted = new AtomicLong();
    private final StateChangeJson changeJson;
    private final OfflineGrace grace;
    private final long ownerTtlMillis;
    private final EndedConnections ended;
    private final String nodeId;
    /**
     * Whether changes go through the users' outboxes: when they are reported to a listener (the webhook) or held for
     * an offline grace. Otherwise the scripts only publish them on the channels, and nothing is taken after.
     */
    private final boolean queuesChanges;
    /**
     * Whether every key is on one Redis (standalone or Sentinel): the presence scripts then keep the set of online
     * users and the node's index of its sessions too, in the same step. On Redis Cluster those keys live on other
     * slots than the user's, and this class writes them with commands of their own.
     */
    private final boolean oneServer;

    /**
     * @param stateChanges where the changes taken from the outboxes go; {@link StateChangeListener#NONE} (and no
     *                     grace) when nothing takes them, so that they are not queued at all
     * @param ended        the users' ended connections, which the registration script writes when it replaces one
     * @param nodeId       this process's name in the cluster, under which it records the sessions it holds
     * @param oneServer    whether every key is on one Redis server (not Redis Cluster)
     */
    RedisPresence(RedisClusterAsyncCommands<String, String> commands, ScriptRunner scripts, RedisKeys keys,
                  StateChangeListener stateChanges, StateChangeJson changeJson, OfflineGrace grace, long ownerTtlMillis,
                  EndedConnections ended, String nodeId, boolean oneServer) {
        this.ended = ended;
        this.oneServer = oneServer;
        this.queuesChanges = stateChanges != StateChangeListener.NONE || grace.millis() > 0;
        this.changeJson = changeJson;
        this.grace = grace;
        this.nodeId = nodeId;
        this.commands = commands;
        this.scripts = scripts;
        this.keys = keys;
        this.postings = stateChanges == StateChangeListener.NONE ? null
                : new WebhookPostings(commands, scripts, keys, nodeId, stateChanges, this::report);
        this.ownerTtlMillis = ownerTtlMillis;
    }

    /** Whether this node's changes go through the users' outboxes (a webhook or an offline grace takes them). */
    boolean queuesChanges() {
        return queuesChanges;
    }

    /**
     * Writes the device's presence entry once {@code ready} has completed (a command sent from then on runs after the
     * node's subscription to the user's channel),
     * unless a kick revoked the session's token (issued at {@code tokenIssuedAtMillis}). The node's index of its
     * sessions is written first or in the same step (and removed last or in the same step, on unregister), so that
     * the index never lags the entries: whenever this node dies, a survivor finds every entry it left. The presence
     * changes are queued by the script in the user's outbox (when anything takes them) and reported from there.
     */
    CompletableFuture<Registered> register(DeviceSession session, int maxDevicesPerUser, long tokenIssuedAtMillis,
                                           CompletableFuture<Void> ready) {
        if (oneServer) {
            // The revocation and the device's owner are checked and written by the script: one step for the usual
            // case; a device that another user had (or that moved between users in the last two minutes) is first taken
            // through the device's take record, and the script run again.
            return ready.thenCompose(listening -> runRegister(session, maxDevicesPerUser, tokenIssuedAtMillis, true, List.of(), Run.NEW))
                    .thenCompose(registered -> {
                        if (registered.outcome() != null) {
                            return CompletableFuture.completedFuture(registered);
                        }
                        CompletableFuture<Ownership> owned = takeOwnership(session, maxDevicesPerUser);
                        return namingTakenOnFailure(owned, owned.thenCompose(ownership -> ownership.noRoom()
                                ? CompletableFuture.completedFuture(TOO_MANY_DEVICES)
                                : confirmingOwner(session, runRegister(session, maxDevicesPerUser, ADMITTED_BEFORE, false,
                                        ownership.taken(), Run.NEW))));
                    });
        }
        return isRevoked(session.uid(), session.device(), tokenIssuedAtMillis).thenCompose(refused -> {
            if (refused) {
                return CompletableFuture.completedFuture(
                        new Registered(Registration.Outcome.REVOKED, false, null, List.of(), -1, 0));
            }
            // The device's owner is recorded before the presence entry, whose script announces the device online: a
            // message sent to the device on that announcement must find the user's stream. The index, the owner
            // and what the entry waits for do not depend on each other: all three go at once.
            CompletableFuture<Boolean> indexed = index(session);
            CompletableFuture<Ownership> owned = takeOwnership(session, maxDevicesPerUser);
            return namingTakenOnFailure(owned, owned.thenCombine(indexed, (ownership, index) -> ownership)
                    .thenCombine(ready, (ownership, listening) -> ownership)
                    .thenCompose(ownership -> ownership.noRoom()
                            ? unindex(session).thenApply(unindexed -> TOO_MANY_DEVICES)
                            : confirmingOwner(session, runRegister(session, maxDevicesPerUser, ADMITTED_BEFORE, false,
                                    ownership.taken(), Run.NEW))));
        });
    }

    /**
     * The registration's steps, failed naming the connections of other users that the device was taken from, where
     * they fail once it was ({@link FailedAfterRemoving}), or as unsettled where they fail before the take was
     * known done ({@link DeviceTakeUnsettled}).
     */
    private static CompletableFuture<Registered> namingTakenOnFailure(CompletableFuture<Ownership> owned,
                                                                      CompletableFuture<Registered> steps) {
        return steps.exceptionallyCompose(error -> owned.handle((ownership, notOwned) -> {
            // failed taking: the take's own failure says what is known (see takeOwnership)
            throw new CompletionException(ownership == null ? Failures.cause(notOwned)
                    : FailedAfterRemoving.naming(ownership.taken(), error));
        }));
    }

    /**
     * The presence script of a registration that took its device ran apart from the take (on Redis Cluster always, on
     * a single Redis once the device was another user's): another user's registration may have taken the device in
     * between, and its removal of this user's session then found no entry yet. The owner, read once the entry is
     * written, tells: still this user (or no owner left), and any later take finds the entry; another user, and this
     * registration lost the device to a newer one: it takes its entry out, as that take would have, and is answered
     * as ended. The connections its script replaced are ended either way.
     */
    private CompletableFuture<Registered> confirmingOwner(DeviceSession session, CompletableFuture<Registered> steps) {
        return steps.thenCompose(registered -> registered.outcome() != Registration.Outcome.ACCEPTED
                ? CompletableFuture.completedFuture(registered)
                : namingRemovedOnFailure(registered.removed(), commands.get(keys.deviceOwner(session.device()))
                        .toCompletableFuture()
                        .thenCompose(owner -> owner == null || owner.equals(session.uid())
                                ? CompletableFuture.completedFuture(registered)
                                : unregister(session, StateChange.EXTRUDE_OFFLINE).thenApply(removed -> new Registered(
                                        Registration.Outcome.ENDED, false, registered.replaced(), registered.alsoTaken(),
                                        registered.userOffset(), 0)))));
    }

    /** The steps after a presence script, failed naming the connection whose entry the script removed, if any. */
    private static <T> CompletableFuture<T> namingRemovedOnFailure(DeviceSession removed, CompletableFuture<T> steps) {
        return namingRemovedOnFailure(removed == null ? List.of() : List.of(removed), steps);
    }

    private static <T> CompletableFuture<T> namingRemovedOnFailure(List<DeviceSession> removed, CompletableFuture<T> steps) {
        return removed.isEmpty() ? steps : steps.exceptionallyCompose(error ->
                CompletableFuture.failedFuture(FailedAfterRemoving.naming(removed, error)));
    }

    /**
     * A connection registered again: whether it was, and the connection of its device whose entry it replaced (one
     * that logged in before it: to be ended, also when the restore then gave way), or null.
     */
    record Restored(boolean registered, DeviceSession replaced) {
        static final Restored GAVE_WAY = new Restored(false, null);

        /** Registered or not, with the connection its script replaced (an ended restore may have replaced one too). */
        static Restored of(Registered registered) {
            boolean accepted = registered.outcome() == Registration.Outcome.ACCEPTED;
            return accepted || registered.replaced() != null ? new Restored(accepted, registered.replaced()) : GAVE_WAY;
        }
    }

    /** Which connection a registration script is run for: a new one, or one registered again after Redis lost it. */
    enum Run {
        NEW("0"),
        /** Registered again: it gives way to any other connection of its device. */
        AGAIN("1"),
        /**
         * Registered again after a master lost writes: it gives way only to a connection of its device that logged in
         * no earlier; the entry of one that logged in before it came back with the old data, after this one replaced it.
         */
        AGAIN_OVER_OLDER("2");

        final String arg;

        Run(String arg) {
            this.arg = arg;
        }
    }

    /**
     * Registers again a connection of this node whose presence Redis lost, unless the device has another owner by
     * now, or another connection's entry it gives way to ({@code run}): then nothing changes. No device limit applies:
     * the connection was admitted before. On a Redis Cluster, where the owner is read apart from the script, it is
     * read again after it, as for a registration: another user may have taken the device in between.
     */
    CompletableFuture<Restored> restore(DeviceSession session, Run run) {
        if (oneServer) {
            return runRegister(session, Integer.MAX_VALUE, ADMITTED_BEFORE, true, List.of(), run).thenApply(Restored::of);
        }
        CompletableFuture<Boolean> indexed = index(session);
        return commands.setGet(keys.deviceOwner(session.device()), session.uid(), SetArgs.Builder.nx().px(ownerTtlMillis))
                .toCompletableFuture()
                .thenCombine(indexed, (owner, index) -> owner)
                .thenCompose(owner -> owner != null && !owner.equals(session.uid())
                        ? CompletableFuture.completedFuture(Restored.GAVE_WAY)
                        : confirmingOwner(session, runRegister(session, Integer.MAX_VALUE, ADMITTED_BEFORE, false,
                                List.of(), run)).thenApply(Restored::of))
                .thenCompose(restored -> restored.registered() ? CompletableFuture.completedFuture(restored)
                        : namingRemovedOnFailure(restored.replaced(), unindex(session).thenApply(unindexed -> restored)));
    }

    /**
     * Runs the registration script. With {@code checksOwner} (a single Redis) it also refuses a revoked token and
     * records the device's owner, unless the device is another user's: then the outcome is null, nothing changes (that
     * user's ownership is written back), and the caller takes the device from that user first; so too when the device
     * moved between users in the last two minutes (take-owner.lua). For a connection
     * registered again, the outcome is null too where it gives way to another session of the device.
     *
     * @param otherUsers the sessions other users had on the device, taken from them before (to extrude)
     * @param run       whether the connection is new or registered again after Redis lost it
     */
    private CompletableFuture<Registered> runRegister(DeviceSession session, int maxDevicesPerUser, long tokenIssuedAtMillis,
                                                      boolean checksOwner, List<DeviceSession> otherUsers, Run run) {
        String json = SessionJson.write(session, nodeId);
        String uid = session.uid();
        String device = session.device();
        long now = System.currentTimeMillis();
        String[] scriptKeys = {keys.userPresence(uid), keys.userMeta(uid), keys.userOutbox(uid),
                keys.userHeldOfflines(uid), keys.userReplaced(uid, session.nonce()), keys.endedConnections(uid)};
        if (oneServer) {
            scriptKeys = checksOwner ? append(scriptKeys, keys.onlineUsers(), keys.nodeDevices(nodeId),
                    keys.kickedUid(uid), keys.kickedDevice(device), keys.deviceOwner(device), keys.deviceTakes(device))
                    : append(scriptKeys, keys.onlineUsers(), keys.nodeDevices(nodeId));
        }
        return scripts.run(RedisScripts.Script.REGISTER, scriptKeys,
                        device, json, Integer.toString(maxDevicesPerUser), session.nonce(), Long.toString(now),
                        changeJson.head(uid, device, now), changeJson.tail(), grace.onChannels() ? "0" : "1", queuesChanges ? "1" : "0", uid,
                        Long.toString(tokenIssuedAtMillis), Long.toString(ownerTtlMillis), run.arg,
                        Integer.toString(ended.perUser()), Long.toString(ended.keptMillis()), grace.millis() > 0 ? "1" : "0")
                .thenCompose(result -> {
                    long status = (Long) result.get(0);
                    long userOffset = StreamIds.toOffset((String) result.get(2));
                    if (status == STATUS_OTHER_OWNER || status == STATUS_GAVE_WAY) {
                        return CompletableFuture.completedFuture(new Registered(null, false, null, List.of(), userOffset, 0));
                    }
                    // The session of the device that the script replaced (or, refused as run again, that its first
                    // run replaced), else a connection of another user that had this device and lost its presence
                    // already: handed back to be ended.
                    String previous = (String) result.get(1);
                    DeviceSession replaced = !previous.isEmpty() ? SessionJson.read(previous)
                            : otherUsers.isEmpty() ? null : otherUsers.get(0);
                    List<DeviceSession> alsoTaken = previous.isEmpty() && !otherUsers.isEmpty()
                            ? otherUsers.subList(1, otherUsers.size()) : otherUsers;
                    if (status == STATUS_REVOKED || status == STATUS_TOO_MANY_DEVICES || status == STATUS_ENDED) {
                        Registration.Outcome outcome = status == STATUS_REVOKED ? Registration.Outcome.REVOKED
                                : status == STATUS_ENDED ? Registration.Outcome.ENDED : Registration.Outcome.TOO_MANY_DEVICES;
                        Registered refused = new Registered(outcome, false, replaced, alsoTaken, userOffset, 0);
                        return oneServer ? CompletableFuture.completedFuture(refused)
                                : namingRemovedOnFailure(refused.removed(), unindex(session).thenApply(unindexed -> refused));
                    }
                    boolean first = status == STATUS_FIRST;
                    Registered registered = new Registered(Registration.Outcome.ACCEPTED, first, replaced, alsoTaken, userOffset,
                            accepted.incrementAndGet());
                    if (oneServer) {
                        return namingRemovedOnFailure(registered.removed(), report(uid).thenApply(reported -> registered));
                    }
                    // Listed at every registration, not only the first: a listing lost with a node that died just
                    // after its script is made good by the user's next connection.
                    return namingRemovedOnFailure(registered.removed(), commands.sadd(keys.onlineUsers(), uid).toCompletableFuture()
                            .thenCompose(done -> report(uid))
                            .thenApply(reported -> registered));
                });
    }

    /** True when a token of this uid/device issued at {@code issuedAtMillis} was revoked by a later kick. */
    CompletableFuture<Boolean> isRevoked(String uid, String device, long issuedAtMillis) {
        // One MGET (a command per slot with Redis Cluster, which Lettuce splits and joins).
        return commands.mget(keys.kickedUid(uid), keys.kickedDevice(device)).toCompletableFuture()
                .thenApply(kicks -> {
                    long kickedAt = kicks.stream().filter(KeyValue::hasValue)
                            .mapToLong(kick -> Long.parseLong(kick.getValue())).max().orElse(-1);
                    return kickedAt >= 0 && issuedAtMillis < kickedAt;
                });
    }

    private static String[] append(String[] keys, String... more) {
        String[] all = Arrays.copyOf(keys, keys.length + more.length);
        System.arraycopy(more, 0, all, keys.length, more.length);
        return all;
    }

    /**
     * The device's ownership as a registration took it: refused where the device was another user's and the
     * registering user has no room for it (the device is left to that user), else the sessions other users had on the
     * device, taken out of their presence (the one of the user it was taken from first).
     */
    private record Ownership(boolean noRoom, List<DeviceSession> taken) {
        static final Ownership NO_ROOM = new Ownership(true, List.of());
    }

    /**
     * Records the session's uid as the device's owner (a script that, run again for the same connection after taking
     * the device from another user, answers that user again); when the device is another user's, takes it, and out
     * of that user's presence, only once the registering user is seen to have room for it: a registration refused for
     * too many devices must not cost the other user its device, nor hold it for a moment (a registration of that user
     * meanwhile would read it as taken, and end). The first take is asked only for a device that has no owner or is
     * the user's already (the usual case: one step); another user's it leaves as it is, and the room is looked at
     * before the second. (A registration of the same user that comes between that look and the script may still leave
     * no room: the script refuses then, and the other user has lost the device.) Takes out too the sessions that users
     * who had the device in the last two minutes may have left on it (see take-owner.lua). Fails as
     * {@link DeviceTakeUnsettled} where the device may be recorded as the registering user's while the user it was
     * taken from still has its session there (the device is to be given back then).
     */
    private CompletableFuture<Ownership> takeOwnership(DeviceSession session, int maxDevicesPerUser) {
        return takeOwner(session, true).thenCompose(answer -> {
            if (!(answer.get(0) instanceof Long)) {
                return takeFrom(answer, session.device());
            }
            return hasRoom(session, maxDevicesPerUser).thenCompose(room -> !room
                    ? CompletableFuture.completedFuture(Ownership.NO_ROOM) // another user's device, left to that user
                    : takeOwner(session, false).thenCompose(taken -> takeFrom(taken, session.device())));
        });
    }

    /**
     * One run of take-owner.lua; {@code onlyIfFree}: only a device that has no owner or is the user's already, else
     * the answer is {0, the owner}.
     */
    private CompletableFuture<List<Object>> takeOwner(DeviceSession session, boolean onlyIfFree) {
        return unsettledOnFailure(scripts.run(RedisScripts.Script.TAKE_OWNER,
                new String[] {keys.deviceOwner(session.device()), keys.deviceTakes(session.device())},
                session.uid(), Long.toString(ownerTtlMillis), Long.toString(TAKE_RECORD_MILLIS), session.nonce(),
                onlyIfFree ? "1" : "0"));
    }

    /** Takes the device's sessions out of the presence of the users a take answered (see take-owner.lua). */
    private CompletableFuture<Ownership> takeFrom(List<Object> answer, String device) {
        String takenFrom = (String) answer.get(0);
        List<String> users = answer.stream().map(String.class::cast).filter(uid -> !uid.isEmpty()).toList();
        return takeFrom(takenFrom, users, device);
    }

    private static <T> CompletableFuture<T> unsettledOnFailure(CompletableFuture<T> step) {
        return step.exceptionallyCompose(error -> CompletableFuture.failedFuture(DeviceTakeUnsettled.of(error)));
    }

    /**
     * Takes the device's sessions of these users out of their presence. Where a removal fails, the registration fails
     * naming the sessions known removed (to be ended), and as unsettled (the device to be given back) unless the
     * removal from the user the device was taken from ({@code takenFrom}, '' when none) is known to have run: that
     * user's connection is ended then, or it had no session there, and the device is not given back.
     */
    private CompletableFuture<Ownership> takeFrom(String takenFrom, List<String> users, String device) {
        List<CompletableFuture<DeviceSession>> removals = users.stream()
                .map(uid -> remove(uid, device, "", StateChange.EXTRUDE_OFFLINE)).toList();
        return CompletableFuture.allOf(removals.stream().map(removal -> removal.handle((removed, failure) -> null))
                        .toArray(CompletableFuture[]::new))
                .thenCompose(settled -> {
                    List<DeviceSession> taken = new ArrayList<>();
                    Throwable failed = null;
                    boolean takenFromSettled = true;
                    for (int i = 0; i < users.size(); i++) {
                        CompletableFuture<DeviceSession> removal = removals.get(i);
                        if (!removal.isCompletedExceptionally()) {
                            if (removal.join() != null) {
                                taken.add(removal.join());
                            }
                            continue;
                        }
                        Throwable failure = removal.handle((removed, error) -> error).join();
                        failed = failure;
                        List<DeviceSession> named = FailedAfterRemoving.removedBy(failure);
                        taken.addAll(named);
                        if (users.get(i).equals(takenFrom) && named.isEmpty()) {
                            takenFromSettled = false;
                        }
                    }
                    if (failed == null) {
                        return CompletableFuture.completedFuture(new Ownership(false, taken));
                    }
                    Throwable naming = FailedAfterRemoving.naming(taken, failed);
                    return CompletableFuture.failedFuture(takenFromSettled ? naming : DeviceTakeUnsettled.of(naming));
                });
    }

    /**
     * Gives the device back to the user the connection of {@code session} took it from, unless a later registration
     * took it since (see give-back-owner.lua); true when given back.
     */
    CompletableFuture<Boolean> giveBackDevice(DeviceSession session) {
        return scripts.run(RedisScripts.Script.GIVE_BACK_OWNER,
                        new String[] {keys.deviceOwner(session.device()), keys.deviceTakes(session.device())},
                        session.uid(), session.nonce(), Long.toString(ownerTtlMillis), Long.toString(TAKE_RECORD_MILLIS))
                .thenApply(result -> (Long) result.get(0) > 0);
    }

    /** Whether the user has the device already or fewer than the maximum of devices. */
    private CompletableFuture<Boolean> hasRoom(DeviceSession session, int maxDevicesPerUser) {
        String presence = keys.userPresence(session.uid());
        // whether it has the device already is asked only of a user at the limit
        return commands.hlen(presence).toCompletableFuture().thenCompose(devices -> devices < maxDevicesPerUser
                ? CompletableFuture.completedFuture(true)
                : commands.hexists(presence, session.device()).toCompletableFuture());
    }

    /**
     * Removes the presence entry if it still belongs to this connection; reports the changes. The node's index entry
     * goes last, once the changes are taken: a node that dies before it leaves the session to a survivor, whose
     * removal takes the changes this one queued. Only where nothing is queued (no webhook) does the script of a single
     * Redis take the index entry out in the same step.
     */
    CompletableFuture<Boolean> unregister(DeviceSession session, String reason) {
        if (oneServer && !queuesChanges) {
            return remove(session.uid(), session.device(), session.nonce(), reason, keys.nodeDevices(nodeId))
                    .thenApply(removed -> removed != null);
        }
        return remove(session.uid(), session.device(), session.nonce(), reason)
                .thenCompose(removed -> unindex(session).thenApply(unindexed -> removed != null));
    }

    /**
     * Removes a device from a user's presence (only the entry with this nonce; any when nonce is empty); returns the
     * removed session or null. Reports what is queued in the user's outbox: this removal's changes, and any left by
     * a script whose answer was lost (a registration that timed out, a node that died), in the order they happened.
     */
    CompletableFuture<DeviceSession> remove(String uid, String device, String nonce, String reason) {
        return remove(uid, device, nonce, reason, null);
    }

    /**
     * @param nodeIndex on a single Redis, this node's index of its sessions when the removal is of one of them (the
     *                  script takes it out of the index too); null otherwise
     */
    private CompletableFuture<DeviceSession> remove(String uid, String device, String nonce, String reason, String nodeIndex) {
        if (postings == null) {
            return removeAndReport(uid, device, nonce, reason, nodeIndex);
        }
        // The user is in this node's set of users with changes for its webhook before the removal's changes are
        // queued: should the node die before it takes them, the survivor that clears it takes them from there.
        return postings.open(uid)
                .thenCompose(recorded -> removeAndReport(uid, device, nonce, reason, nodeIndex))
                .whenComplete((removed, failure) -> postings.close(uid));
    }

    private CompletableFuture<DeviceSession> removeAndReport(String uid, String device, String nonce, String reason,
                                                             String nodeIndex) {
        long now = System.currentTimeMillis();
        String[] userKeys = {keys.userPresence(uid), keys.userOutbox(uid), keys.userHeldOfflines(uid)};
        String[] scriptKeys = !oneServer ? userKeys : nodeIndex == null ? append(userKeys, keys.onlineUsers())
                : append(userKeys, keys.onlineUsers(), nodeIndex);
        // With a grace, the user is listed among the users with held offlines before the script may hold one, and
        // again after it when it held one. Before: should this node die right after the script, any node takes the
        // offline once the grace has passed (a listing with nothing held is dropped then). After: a take of the user's
        // outbox between the two (another node's, or a timer's) finds nothing held yet and may drop the first listing.
        double due = now + grace.millis();
        CompletableFuture<?> listed = grace.millis() == 0 ? CompletableFuture.completedFuture(null)
                : commands.zadd(keys.usersWithHeldOfflines(), ZAddArgs.Builder.nx(), due, uid).toCompletableFuture();
        return listed.thenCompose(listing -> scripts.run(RedisScripts.Script.UNREGISTER, scriptKeys,
                        device, nonce, reason, Long.toString(now), Long.toString(grace.millis()),
                        changeJson.head(uid, device, now), changeJson.tail(), grace.onChannels() ? "0" : "1", queuesChanges ? "1" : "0", uid))
                .thenCompose(result -> {
                    if ((Long) result.get(3) == 1) {
                        // Taken once the grace has passed: by this node, or by any node should this one stop first.
                        // The earliest due time stays: another offline of the user may be held already.
                        commands.zadd(keys.usersWithHeldOfflines(), ZAddArgs.Builder.lt(), due, uid).toCompletableFuture()
                                .whenComplete(RedisRouting.logFailure("listing user " + uid + " among those with held offlines"));
                        grace.later(() -> report(uid));
                    }
                    DeviceSession removed = (Long) result.get(0) == 0 ? null : SessionJson.read((String) result.get(2));
                    boolean last = removed != null && (Long) result.get(1) == 1;
                    // Nothing removed may mean that a node removed it and died before it unlisted the user. On a
                    // single Redis the script has done both.
                    CompletableFuture<Void> listing = oneServer ? CompletableFuture.completedFuture(null)
                            : last ? unlist(uid) : removed == null ? unlistIfOffline(uid)
                            : CompletableFuture.completedFuture(null);
                    return namingRemovedOnFailure(removed, listing.thenCompose(done -> report(uid)).thenApply(reported -> removed));
                });
    }

    /**
     * Takes the user out of the online users when it has no device (the set lives on another slot than the user's
     * presence, so it cannot change in the same script). Checked again after: a registration that came meanwhile
     * lists the user again, whichever of the two writes Redis saw last.
     */
    CompletableFuture<Void> unlistIfOffline(String uid) {
        return commands.hlen(keys.userPresence(uid)).toCompletableFuture().thenCompose(devices -> devices > 0
                ? CompletableFuture.completedFuture(null) : unlist(uid));
    }

    /** Unlists a user whose last device a script has just seen go; lists it again if a registration came meanwhile. */
    private CompletableFuture<Void> unlist(String uid) {
        return commands.srem(keys.onlineUsers(), uid).toCompletableFuture()
                .thenCompose(removed -> commands.hlen(keys.userPresence(uid)).toCompletableFuture())
                .thenCompose(again -> again > 0 ? commands.sadd(keys.onlineUsers(), uid).toCompletableFuture()
                        .thenApply(added -> (Void) null) : CompletableFuture.completedFuture(null));
    }

    /**
     * Takes the presence changes queued in the user's outbox: the script publishes them on the go-sse-broker
     * channels as it takes them, and this node reports them to its listener (webhooks). Taking them is atomic, so
     * each change is published and reported once in the cluster, by whichever node takes it. Nothing to take when
     * the changes are not queued.
     * <p>
     * The future fails at once when Redis answers the first run with an error. When its answer does not come (a
     * timeout, a dropped connection), the take may have been carried out all the same, and nobody else would report
     * what it took: it is run again with the same request id, which answers what the first run took, and the operation
     * that asked waits for it. Where the first run left no record (it never reached Redis), the run again takes
     * nothing and a new take follows: what it would take may be newer than what a take sent meanwhile took. Another
     * take of the user sent after it, and answered first, hands on what it took only after it ({@link TakeTurns}): one
     * node's reports of a user keep their order (an offline is not posted before the online that a registration still
     * waits to report). A take that still fails fails the operation, whose
     * failure leaves what a later pass takes again (the node's index, the dead node in the set).
     */
    CompletableFuture<Void> report(String uid) {
        if (!queuesChanges) {
            return CompletableFuture.completedFuture(null);
        }
        AtomicBoolean unanswered = new AtomicBoolean();
        if (postings == null) {
            return take(uid, unanswered).thenCompose(taken -> reportTaken(uid, taken));
        }
        CompletableFuture<Void> handedOn = new CompletableFuture<>();
        return postings.open(uid)
                .thenCompose(recorded -> turns.inTurn(uid, () -> take(uid, unanswered), handedOn))
                .thenApply(taken -> {
                    unanswered.set(false); // answered: what it took is handed on now
                    postings.handOn(uid, (List<?>) taken.get(0));
                    return taken;
                })
                .whenComplete((taken, failure) -> {
                    handedOn.complete(null); // the user's next take on this node may hand on what it took
                    // A take that never got an answer may have recorded changes all the same: the user stays among
                    // this node's users with changes, so that its stop, or a survivor, posts them.
                    if (failure == null || !unanswered.get()) {
                        postings.close(uid);
                    }
                })
                .thenCompose(taken -> reportTaken(uid, taken));
    }

    /**
     * One take of the user's outbox, run again while its answer may have been lost; {@code unanswered} is set when
     * the first run got no answer (it may have been carried out). A run again that finds no record of the first takes
     * nothing (see drain.lua), and the caller takes in a new turn ({@link #reportTaken}).
     */
    private CompletableFuture<List<Object>> take(String uid, AtomicBoolean unanswered) {
        String request = Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
        AtomicBoolean again = new AtomicBoolean();
        return DRAIN_RETRY.run(() -> drain(uid, request, again.getAndSet(true)), "taking the presence changes of user " + uid,
                () -> unanswered.set(true), postings == null ? "what it took is not reported"
                        : "what it took is posted when this node stops, or by the node that clears it");
    }

    /**
     * Takes the user's changes again when the take found nothing of a first run whose answer was lost, else comes
     * back later for offlines still within their grace, or takes the user out of the set of users with some.
     * Checked again after, as {@link #unlist} does: another node may hold an offline of the user between the take and
     * this removal, and its own listing of the user, sent after its script, may reach Redis before this removal.
     */
    private CompletableFuture<Void> reportTaken(String uid, List<Object> taken) {
        if ((Long) taken.get(2) == 1) {
            return report(uid);
        }
        if ((Long) taken.get(1) > 0) {
            grace.later(() -> report(uid)); // offlines still within their grace
            return CompletableFuture.completedFuture(null);
        }
        if (grace.millis() == 0) {
            return CompletableFuture.completedFuture(null); // nothing is ever held: no set of users to keep
        }
        return commands.zrem(keys.usersWithHeldOfflines(), uid).toCompletableFuture()
                .thenCompose(removed -> commands.hlen(keys.userHeldOfflines(uid)).toCompletableFuture())
                .thenCompose(held -> held > 0
                        ? commands.zadd(keys.usersWithHeldOfflines(), (double) (System.currentTimeMillis() + grace.millis()),
                                uid).toCompletableFuture().thenApply(added -> (Void) null)
                        : CompletableFuture.completedFuture(null));
    }

    /**
     * One run of the take of the user's queued changes, under the request id that names its record; {@code again}:
     * a run after one whose answer did not come.
     */
    private CompletableFuture<List<Object>> drain(String uid, String request, boolean again) {
        return scripts.run(RedisScripts.Script.DRAIN,
                new String[] {keys.userOutbox(uid), keys.userHeldOfflines(uid), keys.userTaken(uid, request),
                        keys.userPostings(uid)},
                Long.toString(System.currentTimeMillis()), postings == null ? "" : postings.nodeId(), request,
                again ? "1" : "0");
    }

    /** Reports the held offlines whose grace has passed, of any user (their node may have stopped meanwhile). */
    CompletableFuture<Void> reportDueOfflines() {
        return commands.zrangebyscore(keys.usersWithHeldOfflines(), Range.create(0, (double) System.currentTimeMillis()),
                        Limit.create(0, 200))
                .toCompletableFuture()
                .thenCompose(uids -> CompletableFuture.allOf(uids.stream().map(this::report).toArray(CompletableFuture[]::new)));
    }

    /**
     * Takes over the changes a node that stopped had taken for its webhook and not posted, and posts them; completes
     * with how many. None when this node posts none (the nodes of a cluster share their callback settings).
     */
    CompletableFuture<Integer> takeOverPostings(String node) {
        return postings == null ? CompletableFuture.completedFuture(0) : postings.takeOver(node);
    }

    /** How many users this node has changes out for posting of (a node with some stays for a survivor to take them). */
    CompletableFuture<Long> postingUsers() {
        return postings == null ? CompletableFuture.completedFuture(0L) : postings.recordedUsers();
    }

    /** Writes again this node's set of users with changes out for posting, which Redis may have lost. */
    CompletableFuture<Void> recordPostingsAgain() {
        return postings == null ? CompletableFuture.completedFuture(null) : postings.recordAgain();
    }

    /**
     * Clears every device a node had (it died without a goodbye), a page of its index at a time: a page's entries leave
     * the index once their removals are done, so that a clear that stops half-way leaves the rest to the next one,
     * which removes nothing twice, and a survivor has no more than a page of removals in flight next to its own
     * clients' work, however many devices the dead node had. Before each page, {@code goOn} says whether the clear
     * still may (its lock renewed); the clear stops, failed, when it may not. Returns how many were removed.
     * {@code justRegistered} is given, once its entry is removed, each session that logged in less than
     * {@link #JUST_REGISTERED_MILLIS} before: its registration's records may still be there (see
     * {@link FailedRegistrations}), and its connection may have died with the node before it went live.
     */
    CompletableFuture<Integer> clearNode(String node, String reason, Supplier<CompletableFuture<Boolean>> goOn,
                                         Consumer<DeviceSession> justRegistered) {
        return clearPage(node, reason, ScanCursor.INITIAL, 0, goOn, justRegistered);
    }

    private CompletableFuture<Integer> clearPage(String node, String reason, ScanCursor after, int removedBefore,
                                                 Supplier<CompletableFuture<Boolean>> goOn,
                                                 Consumer<DeviceSession> justRegistered) {
        String index = keys.nodeDevices(node);
        return goOn.get().thenCompose(going -> going ? commands.hscan(index, after, ScanArgs.Builder.limit(CLEAR_PAGE))
                .toCompletableFuture() : CompletableFuture.failedFuture(new IllegalStateException("stopped clearing node "
                + node + " after " + removedBefore + " devices: its lock was lost, or the node beats again"))).thenCompose(page -> {
            Map<String, String> sessions = page.getMap();
            List<CompletableFuture<DeviceSession>> removals = new ArrayList<>(sessions.size());
            List<DeviceSession> recent = new ArrayList<>();
            long recentSince = System.currentTimeMillis() - JUST_REGISTERED_MILLIS;
            for (String json : sessions.values()) {
                DeviceSession session = SessionJson.read(json);
                removals.add(remove(session.uid(), session.device(), session.nonce(), reason));
                if (session.loginTimeMillis() > recentSince) {
                    recent.add(session);
                }
            }
            return CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new))
                    .thenRun(() -> recent.forEach(justRegistered))
                    .thenCompose(done -> sessions.isEmpty() ? CompletableFuture.completedFuture(0L)
                            : commands.hdel(index, sessions.keySet().toArray(String[]::new)).toCompletableFuture())
                    .thenCompose(unindexed -> {
                        int removed = removedBefore + (int) removals.stream().filter(f -> f.join() != null).count();
                        return page.isFinished() ? CompletableFuture.completedFuture(removed)
                                : clearPage(node, reason, page, removed, goOn, justRegistered);
                    });
        });
    }

    CompletableFuture<Optional<DeviceSession>> device(String device) {
        return commands.get(keys.deviceOwner(device)).toCompletableFuture().thenCompose(owner -> owner == null
                ? CompletableFuture.completedFuture(Optional.empty())
                : commands.hget(keys.userPresence(owner), device).toCompletableFuture()
                        .thenApply(json -> Optional.ofNullable(json).map(SessionJson::read)));
    }

    CompletableFuture<String> owner(String device) {
        return commands.get(keys.deviceOwner(device)).toCompletableFuture();
    }

    CompletableFuture<List<DeviceSession>> userDevices(String uid) {
        return commands.hvals(keys.userPresence(uid)).toCompletableFuture()
                .thenApply(values -> values.stream().map(SessionJson::read)
                        .sorted(java.util.Comparator.comparingLong(DeviceSession::loginTimeMillis)).toList());
    }

    CompletableFuture<List<String>> userDeviceNames(String uid) {
        return commands.hkeys(keys.userPresence(uid)).toCompletableFuture();
    }

    CompletableFuture<Boolean> isOnline(String uid, String device) {
        return commands.hexists(keys.userPresence(uid), device).toCompletableFuture();
    }

    CompletableFuture<Integer> userCount() {
        return commands.scard(keys.onlineUsers()).toCompletableFuture().thenApply(Long::intValue);
    }

    /**
     * Records again what goes with a session this node holds and whose presence entry is still there, after Redis
     * may have lost some of it (on a Redis Cluster these lie on other slots, maybe of another master than the
     * entry's): the node's index entry, the user among the online users, and the device's owner unless the device
     * has one (another user may be taking it).
     */
    CompletableFuture<Void> recordLocal(DeviceSession session) {
        return CompletableFuture.allOf(
                index(session),
                commands.sadd(keys.onlineUsers(), session.uid()).toCompletableFuture(),
                commands.set(keys.deviceOwner(session.device()), session.uid(), SetArgs.Builder.nx().px(ownerTtlMillis))
                        .toCompletableFuture());
    }

    /**
     * Takes back the ended mark that the registration of {@code failed}, should its script have run, put on the
     * connection it replaced (see take-back-ended.lua); that connection when its script replaced one (its mark taken
     * back now or by a run before), else null.
     */
    CompletableFuture<DeviceSession> takeBackEnded(DeviceSession failed) {
        return scripts.run(RedisScripts.Script.TAKE_BACK_ENDED,
                        new String[] {keys.userReplaced(failed.uid(), failed.nonce()), keys.endedConnections(failed.uid())})
                .thenApply(result -> result.size() > 1 ? SessionJson.read((String) result.get(1)) : null);
    }

    /** Records the session in this node's index of its sessions (what a survivor clears should this node die). */
    private CompletableFuture<Boolean> index(DeviceSession session) {
        return commands.hset(keys.nodeDevices(nodeId), session.nonce(), SessionJson.write(session, nodeId)).toCompletableFuture();
    }

    /** Takes the session out of this node's index of its sessions. */
    private CompletableFuture<Long> unindex(DeviceSession session) {
        return commands.hdel(keys.nodeDevices(nodeId), session.nonce()).toCompletableFuture();
    }

    CompletableFuture<Integer> nodeDeviceCount(String node) {
        return commands.hlen(keys.nodeDevices(node)).toCompletableFuture().thenApply(Long::intValue);
    }

    /** The sessions this node has recorded (to register them again after Redis lost them). */
    CompletableFuture<List<DeviceSession>> nodeSessions() {
        return commands.hvals(keys.nodeDevices(nodeId)).toCompletableFuture()
                .thenApply(values -> values.stream().map(SessionJson::read).toList());
    }

    /** A presence entry and the node process that holds it, as the entry names it. */
    record HeldEntry(String node, DeviceSession session) {
    }

    /** This node process's name in the cluster, as its presence entries name it. */
    String nodeId() {
        return nodeId;
    }

    /**
     * Every presence entry held by a node process that {@code holders} accepts, found by walking all users' presence
     * hashes, not the nodes' indexes: a master that came back without its last writes may hold entries that an index
     * (on another master) and the online users no longer point to (of this node's connections that ended, of a dead
     * node cleared meanwhile). A walk of the keyspace, for that rare repair only.
     */
    CompletableFuture<List<HeldEntry>> entriesHeldBy(Predicate<String> holders,
                                                     List<RedisClusterAsyncCommands<String, String>> masters) {
        List<HeldEntry> found = Collections.synchronizedList(new ArrayList<>());
        ScanArgs presenceHashes = ScanArgs.Builder.matches(keys.everyUsersPresence()).limit(1000);
        return CompletableFuture.allOf(masters.stream()
                        .map(master -> walkPresence(master, ScanCursor.INITIAL, presenceHashes, holders, found))
                        .toArray(CompletableFuture[]::new))
                .thenApply(done -> List.copyOf(found));
    }

    /** Walks the presence hashes of one server (a Cluster's master: its own keys only). */
    private CompletableFuture<Void> walkPresence(RedisClusterAsyncCommands<String, String> server, ScanCursor from,
                                                 ScanArgs args, Predicate<String> holders, List<HeldEntry> found) {
        return server.scan(from, args).toCompletableFuture().thenCompose(page -> {
            // A key of another kind that the pattern matches (written by something else) is passed over.
            CompletableFuture<?>[] reads = page.getKeys().stream().map(key -> server.hvals(key).toCompletableFuture()
                    .thenAccept(entries -> entries.forEach(json -> {
                        String holder = SessionJson.nodeId(json);
                        if (holders.test(holder)) {
                            found.add(new HeldEntry(holder, SessionJson.read(json)));
                        }
                    }))
                    .exceptionally(error -> {
                        if (String.valueOf(Failures.cause(error).getMessage()).startsWith("WRONGTYPE")) {
                            return null;
                        }
                        throw new CompletionException(Failures.cause(error));
                    })).toArray(CompletableFuture[]::new);
            CompletableFuture<Void> read = CompletableFuture.allOf(reads);
            return page.isFinished() ? read : read.thenCompose(done -> walkPresence(server, page, args, holders, found));
        });
    }

}
