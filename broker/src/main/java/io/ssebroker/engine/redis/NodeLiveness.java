package io.ssebroker.engine.redis;

import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.NodeStatus;
import io.ssebroker.engine.StateChange;
import io.ssebroker.json.JsonValues;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Node liveness: every beat this node renews its key (time to live: three beats) and looks for nodes whose key
 * expired. One survivor, chosen by a lock, clears a dead node's devices with reason {@code instance_clear}, and
 * leaves the node a mark of it: a node that only stalled finds the mark when it beats again, and registers its
 * connections again.
 */
final class NodeLiveness {
    private static final Logger log = LoggerFactory.getLogger(NodeLiveness.class);
    private static final int BEATS_TO_LIVE = 3;
    /** Beat field: whether the node queues presence changes for a webhook (absent: a version that always did). */
    private static final String QUEUES_CHANGES = "queues_changes";
    /** How a clear's marks end: the one written before it begins, and the one written when it ends, failed or not. */
    private static final String CLEAR_BEGUN = "begun";
    private static final String CLEAR_ENDED = "ended";

    private final RedisClusterAsyncCommands<String, String> commands;
    private final ScriptRunner scripts;
    private final RedisKeys keys;
    private final RedisPresence presence;
    private final String node;
    private final String beat;
    private final long beatMillis;
    private final Runnable revived;
    private final Runnable nodeCleared;
    private final Consumer<DeviceSession> justRegisteredCleared;
    /**
     * When each peer's beat key expires, as its time to live said at the last check (System.nanoTime). A key found
     * missing before then did not expire: it was lost while the peer lives (the master that held it restarted empty,
     * the set of nodes, elsewhere, living on), and the peer writes it again at its next beat. It is cleared only once
     * the key is still missing past that time.
     */
    private final Map<String, Long> expiresAt = new ConcurrentHashMap<>();
    /** The last mark of a peer's clear of this node that it acted on (Redis I/O thread). */
    private String lastClearMark;
    /**
     * Whether this node acted on a mark of a peer's clear of it, and that clear may still be going on: the clear
     * removes entries after the node registered again, and should the peer stop before its last mark, no mark tells.
     */
    private volatile boolean watchingClear;
    /** The engine's scheduler, which beats and renews the locks of clears (set at the start). */
    private volatile ScheduledExecutorService scheduler;
    /** The node set as the last count read it (written by the Redis I/O thread, read by any). */
    private volatile Set<String> countedNodes = Set.of();

    /**
     * @param nodeId  this process's unique name in the cluster (its address plus a random part: two processes that
     *                show the same address never share presence)
     * @param address the address shown in /info
     * @param revived     run when this node finds it had been cleared as dead by a peer (it stalled)
     * @param nodeCleared run when this node cleared the devices of a node that stopped beating
     * @param justRegisteredCleared given each session of a cleared node that logged in just before (see
     *                              {@link RedisPresence#clearNode}): it may have died before it went live
     */
    NodeLiveness(RedisClusterAsyncCommands<String, String> commands, ScriptRunner scripts, RedisKeys keys,
                 RedisPresence presence, String nodeId, String address, String version, long startTimeMillis,
                 long beatMillis, Runnable revived, Runnable nodeCleared, Consumer<DeviceSession> justRegisteredCleared) {
        this.nodeCleared = nodeCleared;
        this.justRegisteredCleared = justRegisteredCleared;
        this.commands = commands;
        this.scripts = scripts;
        this.keys = keys;
        this.presence = presence;
        this.node = nodeId;
        this.beatMillis = beatMillis;
        this.revived = revived;
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("address", address);
        fields.put("version", version);
        fields.put("start", startTimeMillis);
        fields.put(QUEUES_CHANGES, presence.queuesChanges());
        this.beat = JsonValues.write(fields);
    }

    /**
     * Announces this node and starts beating. Warns when a live node queues presence changes for a webhook and this
     * one does not, or the reverse: their webhooks would miss the changes the other kind makes.
     */
    CompletableFuture<Void> start(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
        return beat().thenRun(() -> {
            scheduler.scheduleWithFixedDelay(this::tick, beatMillis, beatMillis, TimeUnit.MILLISECONDS);
            warnOfNodesQueuingOtherwise(); // a warning only: the start does not wait for it
        });
    }

    private void warnOfNodesQueuingOtherwise() {
        nodesQueuingOtherwise().thenAccept(others -> {
            if (!others.isEmpty()) {
                log.warn("this node {} presence changes for a webhook, but {} {}: give every node of the cluster the "
                                + "same callback settings, or their webhooks miss changes",
                        presence.queuesChanges() ? "queues" : "does not queue", others,
                        presence.queuesChanges() ? "do not" : "do");
            }
        }).whenComplete(RedisRouting.logFailure("comparing the nodes' callback settings"));
    }

    /** The live nodes whose callback settings differ from this node's in whether presence changes are queued. */
    CompletableFuture<List<String>> nodesQueuingOtherwise() {
        return commands.smembers(keys.nodes()).toCompletableFuture().thenCompose(members -> {
            Map<String, CompletableFuture<String>> beats = new LinkedHashMap<>();
            members.stream().filter(member -> !member.equals(node))
                    .forEach(member -> beats.put(member, commands.get(keys.nodeBeat(member)).toCompletableFuture()));
            return CompletableFuture.allOf(beats.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
                List<String> others = new ArrayList<>();
                beats.forEach((member, beat) -> {
                    Boolean queues = queuesChanges(beat.join());
                    if (queues != null && queues != presence.queuesChanges()) {
                        others.add(member);
                    }
                });
                return others;
            });
        });
    }

    /** Whether a beat says its node queues changes; null when the node is not live or its beat is unreadable. */
    private static Boolean queuesChanges(String json) {
        if (json == null) {
            return null;
        }
        try {
            Object beat = JsonValues.read(json);
            return !(beat instanceof Map<?, ?> fields) || !fields.containsKey(QUEUES_CHANGES)
                    || Boolean.TRUE.equals(fields.get(QUEUES_CHANGES));
        } catch (IOException e) {
            return null;
        }
    }

    /** Renews this node's key and its place in the cluster's set of nodes. */
    CompletableFuture<Void> beat() {
        return CompletableFuture.allOf(renew(), rejoin());
    }

    private CompletableFuture<String> renew() {
        return commands.set(keys.nodeBeat(node), beat, SetArgs.Builder.px(beatMillis * BEATS_TO_LIVE)).toCompletableFuture();
    }

    /** Adds this node to the cluster's set; completes with true when it had to be added back (a peer took it out). */
    private CompletableFuture<Boolean> rejoin() {
        return commands.sadd(keys.nodes(), node).toCompletableFuture().thenApply(added -> added > 0);
    }

    /**
     * Leaves the cluster on a graceful stop. Devices whose removal did not get through stay recorded, and so do the
     * changes its webhook did not post in time: the node then only stops beating, so a survivor clears those devices
     * with {@code instance_clear} and posts those changes.
     */
    CompletableFuture<Void> leave() {
        return presence.nodeDeviceCount(node).thenCombine(presence.postingUsers(), (devices, posting) -> devices + posting)
                .thenCompose(left -> left > 0
                ? commands.del(keys.nodeBeat(node)).toCompletableFuture().thenApply(n -> null)
                : CompletableFuture.allOf(commands.del(keys.nodeBeat(node)).toCompletableFuture(),
                        commands.srem(keys.nodes(), node).toCompletableFuture()));
    }

    CompletableFuture<List<NodeStatus>> nodes() {
        return commands.smembers(keys.nodes()).toCompletableFuture().thenCompose(members -> {
            List<CompletableFuture<NodeStatus>> statuses = new ArrayList<>();
            for (String member : members) {
                statuses.add(commands.get(keys.nodeBeat(member)).toCompletableFuture()
                        .thenCombine(presence.nodeDeviceCount(member), (json, count) -> status(member, json, count)));
            }
            return CompletableFuture.allOf(statuses.toArray(CompletableFuture[]::new)).thenApply(done -> statuses.stream()
                    .map(CompletableFuture::join).filter(NodeStatus::online)
                    .sorted(java.util.Comparator.comparing(NodeStatus::address)).toList());
        });
    }

    /**
     * The devices recorded by the cluster's nodes: a count of each node's index. A node that stopped beating still
     * counts until a survivor clears its devices, as its devices still show online until then. The indexes of the
     * nodes found last time are counted together with the read of the node set, so that the usual count is one
     * round trip, sent in the same write as whatever the caller sends next; only a node that joined since is counted
     * after the set is read.
     */
    CompletableFuture<Integer> deviceCount() {
        Map<String, CompletableFuture<Integer>> counts = new HashMap<>();
        countedNodes.forEach(member -> counts.put(member, presence.nodeDeviceCount(member)));
        return commands.smembers(keys.nodes()).toCompletableFuture().thenCompose(members -> {
            countedNodes = Set.copyOf(members);
            List<CompletableFuture<Integer>> current = members.stream()
                    .map(member -> counts.computeIfAbsent(member, presence::nodeDeviceCount)).toList();
            return CompletableFuture.allOf(current.toArray(CompletableFuture[]::new))
                    .thenApply(done -> current.stream().mapToInt(CompletableFuture::join).sum());
        });
    }

    /**
     * The node processes of the cluster: those beating, and those that stopped and whose devices no node has cleared
     * yet (one does, through the node's index, and then takes it out).
     */
    CompletableFuture<Set<String>> nodeIds() {
        return commands.smembers(keys.nodes()).toCompletableFuture();
    }

    /**
     * Whether a node process is one of the cluster's, asked now: in the set of nodes, or beating. The set may have
     * lost a live node (its master restarted empty, or a failover lost the node's latest add) until the node's next
     * beat adds it back; its beat, on another slot, says it lives meanwhile.
     */
    CompletableFuture<Boolean> isClusterNode(String member) {
        return commands.sismember(keys.nodes(), member).toCompletableFuture()
                .thenCombine(commands.exists(keys.nodeBeat(member)).toCompletableFuture(),
                        (listed, beats) -> listed || beats > 0);
    }

    /**
     * One beat. A peer took this node for dead meanwhile when the node had to be added back to the cluster's set, or
     * finds a peer's mark of clearing its devices (a clear that failed half-way leaves the node in the set, and what it
     * did clear is gone all the same): it registers its connections again. Each of the two answers counts on its own,
     * whatever becomes of the other commands of the beat.
     */
    private void tick() {
        CompletableFuture<String> renewed = renew();
        CompletableFuture<Boolean> rejoined = rejoin();
        // Read, not taken (GETDEL): a Redis Cluster connection re-sends a command whose answer a reconnect lost, and a
        // mark taken by the first run would read as none at the second. Each clear writes a mark of its own; one
        // read before is not acted on again, and the mark expires by itself.
        CompletableFuture<Boolean> marked = commands.get(keys.nodeCleared(node)).toCompletableFuture().thenApply(mark -> {
            if (mark == null || mark.equals(lastClearMark)) {
                return false;
            }
            lastClearMark = mark;
            // the mark a clear writes before it begins: watched until its lock is gone (see watchClear)
            watchingClear = !mark.endsWith(CLEAR_ENDED);
            return true;
        });
        rejoined.exceptionally(unanswered -> false)
                .thenCombine(marked.exceptionally(unanswered -> false), (added, mark) -> added || mark)
                .thenAccept(taken -> {
                    if (taken) {
                        log.warn("this node was taken for dead by a peer (it stalled for {} beats): registering again", BEATS_TO_LIVE);
                        revived.run();
                    }
                });
        if (watchingClear) {
            watchClear();
        }
        renewed.thenCombine(rejoined, (ok, added) -> ok)
                .thenCompose(done -> commands.smembers(keys.nodes()).toCompletableFuture())
                .thenAccept(members -> {
                    expiresAt.keySet().retainAll(members);
                    members.stream().filter(member -> !member.equals(node)).forEach(this::checkNode);
                })
                .whenComplete(RedisRouting.logFailure("node heartbeat"));
    }

    private void checkNode(String member) {
        commands.pttl(keys.nodeBeat(member)).toCompletableFuture().thenCompose(ttlMillis -> {
            long now = System.nanoTime();
            if (ttlMillis >= 0) {
                expiresAt.put(member, now + TimeUnit.MILLISECONDS.toNanos(ttlMillis));
                return CompletableFuture.completedFuture(null);
            }
            Long expires = expiresAt.get(member);
            if (ttlMillis == -1 || expires != null && now < expires) {
                return CompletableFuture.completedFuture(null); // not expired: lost, or written without a time to live
            }
            expiresAt.remove(member);
            // a lock of its own for each clear: a clear of this node that outlasted its lock finds it taken
            String holder = node + " " + UUID.randomUUID();
            return commands.set(keys.nodeClearLock(member), holder, SetArgs.Builder.nx().px(lockMillis()))
                    .toCompletableFuture()
                    .thenCompose(locked -> !"OK".equals(locked) ? CompletableFuture.completedFuture(null)
                            : clear(member, holder));
        }).whenComplete(RedisRouting.logFailure("clearing node " + member));
    }

    /**
     * While a peer's clear of this node may still be going on (the node read the mark it writes before it begins, and
     * not yet the one it writes when it ends), looks whether its lock is still held: once it is not (the peer that held
     * it stopped before its last mark), the node registers its connections again, those the clear removed after the
     * node's first look included.
     */
    private void watchClear() {
        commands.exists(keys.nodeClearLock(node)).toCompletableFuture().thenAccept(held -> {
            if (held == 0 && watchingClear) {
                watchingClear = false;
                log.warn("a peer's clear of this node is over: registering again what it removed");
                revived.run();
            }
        }).whenComplete(RedisRouting.logFailure("watching a peer's clear of this node"));
    }

    /**
     * Clears a node's devices, marked for the node before and after: should it be alive after all (it stalled), it
     * takes the mark at its next beat and registers its connections again, also when the clear failed half-way
     * (the node then stays in the set, and a survivor tries again only while the node does not beat) or ended while
     * the node was already taking the first mark. Only a clear that completed takes the node out of the set, before
     * the second mark: a node that recovers on that mark finds itself out of the set for no beat after.
     */
    private CompletableFuture<Void> clear(String member, String holder) {
        // The lock is renewed every beat while the clear runs, its take-over of postings (retried up to half a
        // minute) and its pages included; a renewal that finds the lock another's stops the clear at its next page.
        AtomicBoolean held = new AtomicBoolean(true);
        ScheduledFuture<?> renewing = scheduler.scheduleWithFixedDelay(() -> holdLock(member, holder)
                .whenComplete((kept, error) -> {
                    if (Boolean.FALSE.equals(kept)) {
                        held.set(false);
                    }
                }), beatMillis, beatMillis, TimeUnit.MILLISECONDS);
        return markCleared(member, holder, CLEAR_BEGUN)
                // The changes the node took and did not post before those its devices' removal makes: in order.
                .thenCompose(marked -> presence.takeOverPostings(member))
                .thenCompose(posting -> {
                    if (posting > 0) {
                        log.warn("node {} stopped beating: took over {} presence changes it had not posted to its"
                                + " webhook", member, posting);
                    }
                    return presence.clearNode(member, StateChange.INSTANCE_CLEAR, () -> mayGoOn(member, holder, held),
                            justRegisteredCleared);
                })
                .thenCompose(cleared -> {
                    log.warn("node {} stopped beating: cleared its {} devices", member, cleared);
                    nodeCleared.run();
                    return commands.srem(keys.nodes(), member).toCompletableFuture();
                })
                .handle((removed, failure) -> markCleared(member, holder, CLEAR_ENDED).thenCompose(marked -> failure == null
                        ? CompletableFuture.<Void>completedFuture(null) : CompletableFuture.<Void>failedFuture(failure)))
                .thenCompose(next -> next)
                .whenComplete((done, failure) -> {
                    renewing.cancel(false);
                    // let go at once (a lock held for a millisecond more): a clear that failed is tried again at the
                    // next beat rather than three beats on
                    scripts.run(RedisScripts.Script.EXTEND_LOCK, new String[] {keys.nodeClearLock(member)}, holder, "1")
                            .whenComplete(RedisRouting.logFailure("letting go of the lock on clearing node " + member));
                });
    }

    /**
     * Whether a clear may go on to its next page: its lock is still its own (renewed now), and the node it clears
     * still does not beat (a node that only stalled registers its connections again on the clear's mark: removing
     * them page after page would only take them offline again).
     */
    private CompletableFuture<Boolean> mayGoOn(String member, String holder, AtomicBoolean held) {
        if (!held.get()) {
            return CompletableFuture.completedFuture(false);
        }
        return holdLock(member, holder).thenCombine(commands.exists(keys.nodeBeat(member)).toCompletableFuture(),
                (kept, beats) -> kept && beats == 0);
    }

    /** How long a survivor's lock on clearing a node holds from its last renewal: three beats. */
    private long lockMillis() {
        return beatMillis * BEATS_TO_LIVE;
    }

    /**
     * Renews this node's lock on clearing a dead node while the clear goes on: a clear of many devices outlasts the
     * lock's first three beats, and another survivor would start it again meanwhile. False when the lock was lost
     * (this node stalled past it, and another took it): the clear stops, and that node's goes on from where it is.
     */
    private CompletableFuture<Boolean> holdLock(String member, String holder) {
        return scripts.run(RedisScripts.Script.EXTEND_LOCK, new String[] {keys.nodeClearLock(member)}, holder,
                Long.toString(lockMillis())).thenApply(extended -> (Long) extended.get(0) == 1);
    }

    /**
     * Kept an hour: a node that is alive reads it within a beat of beating again, and a survivor writes it again (a
     * mark of its own) each time it tries to clear a node that still does not beat; it expires by itself.
     */
    private CompletableFuture<String> markCleared(String member, String holder, String phase) {
        return commands.set(keys.nodeCleared(member), holder + " " + phase,
                SetArgs.Builder.px(TimeUnit.HOURS.toMillis(1))).toCompletableFuture();
    }

    private static NodeStatus status(String member, String json, int deviceCount) {
        if (json == null) {
            return new NodeStatus(false, "", member, 0, 0);
        }
        try {
            Object fields = JsonValues.read(json);
            return new NodeStatus(true, JsonValues.text(fields, "version", ""), JsonValues.text(fields, "address", member),
                    JsonValues.number(fields, "start", 0), deviceCount);
        } catch (IOException e) {
            return new NodeStatus(false, "", member, 0, 0);
        }
    }
}
