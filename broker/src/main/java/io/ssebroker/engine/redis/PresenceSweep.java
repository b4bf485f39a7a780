package io.ssebroker.engine.redis;

import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.StateChange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Presence that heals itself when what normally clears it is gone. A dead node's entries are cleared through its
 * index of sessions ({@link NodeLiveness}); an entry whose index was lost (Redis lost writes in a failover) would
 * stay online for good. So after a node was found dead, and every {@value #BACKGROUND_PASS_MINUTES} minutes in
 * case a death went unnoticed, this node walks the online users, {@value #USERS_PER_BEAT} a heartbeat (holding a
 * lock, so that nodes do not walk at once), removes the entries whose node is no longer one of the cluster's nodes
 * ({@code instance_clear}) and unlists users left without devices. A node that stops beating leaves the cluster's
 * nodes once its devices were cleared through its index; a live node whose beat is missing for a moment (lost with a
 * failover's writes, or the node stalled) stays among them, and its entries with it: should it be taken out, its next
 * beat adds it back and it registers its devices again. A cluster where nothing dies pays one walk per
 * {@value #BACKGROUND_PASS_MINUTES} minutes.
 */
final class PresenceSweep {
    private static final Logger log = LoggerFactory.getLogger(PresenceSweep.class);
    static final int USERS_PER_BEAT = 200;
    static final long BACKGROUND_PASS_MINUTES = 10;

    private final RedisClusterAsyncCommands<String, String> commands;
    private final RedisKeys keys;
    private final RedisPresence presence;
    private final Supplier<CompletableFuture<Set<String>>> clusterNodes;
    private final Function<String, CompletableFuture<Boolean>> isClusterNode;
    private final String nodeId;
    private final long beatMillis;
    /** Where the walk through the online users stands; this node's own, as the lock may pass between nodes. */
    private ScanCursor cursor = ScanCursor.INITIAL;
    private boolean running;
    /** A walk has begun and not reached its end. */
    private boolean walking;
    private boolean walkAsked;
    private long lastWalkEndedMillis = System.currentTimeMillis();

    /**
     * @param clusterNodes  the node processes of the cluster, read once per slice
     * @param isClusterNode whether a node process is one of them, asked again before its entries are removed (it may
     *                      have started since the slice's read)
     */
    PresenceSweep(RedisClusterAsyncCommands<String, String> commands, RedisKeys keys, RedisPresence presence,
                  Supplier<CompletableFuture<Set<String>>> clusterNodes, Function<String, CompletableFuture<Boolean>> isClusterNode,
                  String nodeId, long beatMillis) {
        this.commands = commands;
        this.keys = keys;
        this.presence = presence;
        this.clusterNodes = clusterNodes;
        this.isClusterNode = isClusterNode;
        this.nodeId = nodeId;
        this.beatMillis = beatMillis;
    }

    /** A node was found dead: walk the online users for entries it may have left outside its index. */
    synchronized void walkSoon() {
        walkAsked = true;
    }

    /** One slice of a walk, when one is due and this node holds the lock for this beat; runs on the engine's thread. */
    synchronized void sweep() {
        long now = System.currentTimeMillis();
        boolean due = walkAsked || now - lastWalkEndedMillis > TimeUnit.MINUTES.toMillis(BACKGROUND_PASS_MINUTES);
        if (running || !(walking || due)) {
            return;
        }
        if (!walking) {
            walking = true;
            walkAsked = false;
            cursor = ScanCursor.INITIAL;
        }
        running = true;
        commands.set(keys.sweepLock(), nodeId, SetArgs.Builder.nx().px(beatMillis)).toCompletableFuture()
                .thenCompose(locked -> "OK".equals(locked) ? sweepSlice() : CompletableFuture.completedFuture(null))
                .whenComplete((done, error) -> {
                    synchronized (this) {
                        running = false;
                    }
                    if (error != null) {
                        log.warn("presence sweep failed: {}", error.getMessage());
                    }
                });
    }

    private CompletableFuture<Void> sweepSlice() {
        ScanCursor from;
        synchronized (this) {
            from = cursor;
        }
        return goneNodes().thenCompose(gone -> commands.sscan(keys.onlineUsers(), from, ScanArgs.Builder.limit(USERS_PER_BEAT))
                .toCompletableFuture().thenCompose(slice -> {
                    synchronized (this) {
                        cursor = slice.isFinished() ? ScanCursor.INITIAL : slice;
                        if (slice.isFinished()) {
                            walking = false;
                            lastWalkEndedMillis = System.currentTimeMillis();
                        }
                    }
                    List<CompletableFuture<?>> checks = new ArrayList<>();
                    for (String uid : slice.getValues()) {
                        checks.add(commands.hgetall(keys.userPresence(uid)).toCompletableFuture()
                                .thenCompose(entries -> clear(uid, entries, gone)));
                    }
                    return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new));
                }));
    }

    /** Removes the user's entries held by nodes that are gone; unlists the user when nothing is left. */
    private CompletableFuture<Void> clear(String uid, Map<String, String> entries, Predicate<String> gone) {
        List<CompletableFuture<DeviceSession>> removals = new ArrayList<>();
        for (String json : entries.values()) {
            String holder = SessionJson.nodeId(json);
            if (gone.test(holder)) {
                removals.add(removeIfStillGone(new RedisPresence.HeldEntry(holder, SessionJson.read(json))));
            }
        }
        if (entries.isEmpty()) {
            return presence.unlistIfOffline(uid);
        }
        return CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new));
    }

    /**
     * The node processes that are gone, as the set of nodes reads now: neither one of the set nor this node (whose
     * connections are live whatever the set says). An entry of one is removed only by {@link #removeIfStillGone}.
     */
    CompletableFuture<Predicate<String>> goneNodes() {
        return clusterNodes.get().thenApply(nodes ->
                holder -> !holder.isEmpty() && !holder.equals(nodeId) && !nodes.contains(holder));
    }

    /**
     * Removes an entry of a node found gone ({@code instance_clear}), unless the set of nodes has it when asked again
     * (the node started after the set was read).
     */
    CompletableFuture<DeviceSession> removeIfStillGone(RedisPresence.HeldEntry entry) {
        return isClusterNode.apply(entry.node()).thenCompose(member -> {
            if (member) {
                return CompletableFuture.completedFuture(null);
            }
            DeviceSession session = entry.session();
            log.warn("presence of device {} held by node {}, which is gone: cleared", session.device(), entry.node());
            return presence.remove(session.uid(), session.device(), session.nonce(), StateChange.INSTANCE_CLEAR);
        });
    }
}
