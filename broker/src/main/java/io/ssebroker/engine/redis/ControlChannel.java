package io.ssebroker.engine.redis;

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.EngineListener;
import io.ssebroker.json.JsonValues;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's control channel: extrusions of a connection held by another node, kicks, and the readiness canary.
 * Control messages are not retained: what a kick or an extrusion decides is written to Redis before it is announced,
 * so a node that may have missed some (its subscription had to be made again) checks its connections against Redis.
 * So is an ask to write a connection's presence again, in a hash of the asks to the connection's node, which that
 * node reads once its subscription is made again ({@link #restoresAsked}). A node that ended connections for a kick
 * reports how many to the node that asked, once they left presence.
 */
final class ControlChannel {
    private static final Logger log = LoggerFactory.getLogger(ControlChannel.class);
    /** A canary not back within this long is forgotten (readiness waits less). */
    private static final long CANARY_MILLIS = 5000;
    /**
     * How long a kick waits for the nodes to report its connections ended. A dead node never does, nor does a node
     * for a connection that was still being registered when the kick reached it (that one ends once attached).
     */
    static final long KICK_REPORT_MILLIS = 1000;
    /** How long asks to restore are kept for a node that may have missed their messages (after the latest ask). */
    private static final long RESTORE_ASKS_KEPT_MILLIS = 120_000;

    private final RedisClusterAsyncCommands<String, String> commands;
    private final ScriptRunner scripts;
    private final RedisKeys keys;
    private final String nodeId;
    private final String nodeAddress;
    private final EngineListener listener;
    private final Function<String, DeviceSession> localSession;
    private final BiConsumer<DeviceSession, String> restorePresence;
    private final ScheduledExecutorService scheduler;
    private final ConcurrentHashMap<String, CompletableFuture<Void>> canaries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, PendingKick> kicks = new ConcurrentHashMap<>();

    /**
     * @param nodeAddress     the address this node gives its connections (their sessions name it)
     * @param localSession    this node's session of a connection nonce, or null
     * @param restorePresence writes again the presence entry of a connection of this node that lost it to a failed
     *                        registration (named by its nonce)
     */
    ControlChannel(RedisClusterAsyncCommands<String, String> commands, ScriptRunner scripts, RedisKeys keys, String nodeId,
                   String nodeAddress, EngineListener listener, Function<String, DeviceSession> localSession,
                   BiConsumer<DeviceSession, String> restorePresence, ScheduledExecutorService scheduler) {
        this.commands = commands;
        this.scripts = scripts;
        this.keys = keys;
        this.nodeId = nodeId;
        this.nodeAddress = nodeAddress;
        this.listener = listener;
        this.localSession = localSession;
        this.restorePresence = restorePresence;
        this.scheduler = scheduler;
    }

    /** Asks the node holding {@code replaced} to end it. */
    CompletableFuture<Void> extrude(DeviceSession replaced, String byClientAddress) {
        return send(Map.of("type", "extrude", "uid", replaced.uid(), "device", replaced.device(),
                "nonce", replaced.nonce(), "by", byClientAddress));
    }

    /**
     * Asks the node holding {@code connection}, which lost its presence entry to the registration of connection
     * {@code failedNonce} (which then failed), to write it again if still open.
     */
    CompletableFuture<Void> restore(DeviceSession connection, String failedNonce) {
        CompletableFuture<Throwable> recordFailure = scripts.run(RedisScripts.Script.ASK_RESTORE,
                new String[] {keys.restoreAsks(connection.nodeAddress())}, connection.nonce(), failedNonce,
                Long.toString(RESTORE_ASKS_KEPT_MILLIS)).handle((recorded, error) -> error);
        // Recorded first, so that a node reading its asks after it missed the message finds this one. Announced even
        // when the record failed (its shard down while the channel's is up): a node whose subscription stands acts at
        // once, and the ask, failed, is made again until it is recorded too.
        return recordFailure.thenCompose(failure -> send(Map.of("type", "restore", "nonce", connection.nonce(),
                "failed", failedNonce)).thenCompose(sent -> failure == null ? CompletableFuture.<Void>completedFuture(null)
                : CompletableFuture.<Void>failedFuture(failure)));
    }

    /**
     * Writes again the presence of this node's connections that other nodes asked for (see {@link #restore}) while
     * their messages may have been lost: run once the control channel was subscribed again. The asks read are taken
     * out; one for a connection that is no longer here is stale. While Redis does not answer (the subscription may be
     * back before the commands are), read again each second, for as long as asks are kept.
     */
    void restoresAsked() {
        restoresAsked(RESTORE_ASKS_KEPT_MILLIS / 1000);
    }

    private void restoresAsked(long attemptsLeft) {
        String asks = keys.restoreAsks(nodeAddress);
        commands.hgetall(asks).toCompletableFuture().thenAccept(asked -> {
            asked.forEach((nonce, failedNonce) -> {
                DeviceSession held = localSession.apply(nonce);
                if (held != null) {
                    restorePresence.accept(held, failedNonce);
                }
            });
            if (!asked.isEmpty()) {
                commands.hdel(asks, asked.keySet().toArray(String[]::new));
            }
        }).whenComplete((done, error) -> {
            if (error == null) {
                return;
            }
            if (attemptsLeft > 1) {
                scheduler.schedule(() -> restoresAsked(attemptsLeft - 1), 1, TimeUnit.SECONDS);
            } else {
                log.warn("reading the asks to write presence again failed: {}", error.getMessage());
            }
        });
    }

    /**
     * Asks every node to end the connections of these uids and devices, for a kick decided (its tokens revoked) at
     * {@code kickedAtMillis}. Completes once the nodes reported
     * {@code online} connections ended (they were online when the kick was decided), or after
     * {@link #KICK_REPORT_MILLIS}.
     */
    CompletableFuture<Void> kick(Set<String> uids, Set<String> devices, String data, long kickedAtMillis, int online) {
        String id = newId();
        PendingKick pending = new PendingKick(new AtomicInteger(online), ConcurrentHashMap.newKeySet(),
                new CompletableFuture<>());
        if (online > 0) {
            kicks.put(id, pending);
            scheduler.schedule(() -> forget(id), KICK_REPORT_MILLIS, TimeUnit.MILLISECONDS);
        } else {
            pending.reported.complete(null);
        }
        Map<String, Object> command = new LinkedHashMap<>();
        command.put("type", "kick");
        command.put("uids", List.copyOf(uids));
        command.put("devices", List.copyOf(devices));
        command.put("data", data);
        command.put("at", kickedAtMillis);
        command.put("node", nodeId);
        command.put("id", id);
        return send(command).thenCompose(sent -> pending.reported);
    }

    /** Completes when a canary addressed to this node came back through the channel. */
    CompletableFuture<Void> canary() {
        String id = newId();
        CompletableFuture<Void> back = new CompletableFuture<>();
        canaries.put(id, back);
        scheduler.schedule(() -> canaries.remove(id), CANARY_MILLIS, TimeUnit.MILLISECONDS);
        return RedisFutures.guard(send(Map.of("type", "ping", "node", nodeId, "id", id))).thenCompose(sent -> back);
    }

    /** A control message from a node (this one included); runs on a Lettuce I/O thread. */
    void received(String payload) {
        Object command;
        try {
            command = JsonValues.read(payload);
        } catch (IOException e) {
            log.warn("ignored a malformed control message");
            return;
        }
        switch (text(command, "type")) {
            case "extrude" -> {
                DeviceSession held = localSession.apply(text(command, "nonce"));
                if (held != null) {
                    listener.extrude(held, text(command, "by"));
                }
            }
            case "restore" -> {
                DeviceSession held = localSession.apply(text(command, "nonce"));
                if (held != null) {
                    restorePresence.accept(held, text(command, "failed"));
                }
            }
            case "ping" -> {
                CompletableFuture<Void> back = text(command, "node").equals(nodeId)
                        ? canaries.remove(text(command, "id")) : null;
                if (back != null) {
                    back.complete(null);
                }
            }
            // A node of an earlier version sends no time: the kick is taken as decided now.
            case "kick" -> listener.kick(texts(command, "uids"), texts(command, "devices"), text(command, "data"),
                    JsonValues.number(command, "at", System.currentTimeMillis())).thenAccept(ended -> reportKicked(command, ended));
            case "kicked" -> {
                PendingKick pending = text(command, "node").equals(nodeId) ? kicks.get(text(command, "id")) : null;
                // A report re-sent after a reconnect arrives twice: each node's counts once (a node of an earlier
                // version names none, and is counted each time).
                String reporter = JsonValues.text(command, "by", null);
                if (pending != null && (reporter == null || pending.reporters.add(reporter))
                        && pending.waiting.addAndGet(-(int) JsonValues.number(command, "ended", 0)) <= 0) {
                    forget(text(command, "id"));
                }
            }
            default -> log.debug("ignored control message {}", payload);
        }
    }

    /** Tells the node that asked for a kick how many of its connections this node ended. */
    private void reportKicked(Object kick, int ended) {
        String id = JsonValues.text(kick, "id", null);
        if (ended > 0 && id != null) {
            send(Map.of("type", "kicked", "node", text(kick, "node"), "id", id, "ended", ended, "by", nodeId))
                    .whenComplete(RedisRouting.logFailure("reporting a kick"));
        }
    }

    /** Stops waiting for reports of this kick: they all came, or it waited long enough. */
    private void forget(String kickId) {
        PendingKick pending = kicks.remove(kickId);
        if (pending != null) {
            pending.reported.complete(null);
        }
    }

    private static String newId() {
        return Long.toString(new SecureRandom().nextLong() >>> 1, 36);
    }

    private CompletableFuture<Void> send(Map<String, Object> command) {
        return commands.spublish(keys.controlChannel(), JsonValues.write(command)).toCompletableFuture()
                .thenApply(receivers -> null);
    }

    /** A field of a control message as text, "" when it has none. */
    private static String text(Object command, String field) {
        return JsonValues.text(command, field, "");
    }

    /** The texts of a field that is an array (of strings); none when it is not. */
    private static Set<String> texts(Object command, String field) {
        Set<String> out = new LinkedHashSet<>();
        if (command instanceof Map<?, ?> map && map.get(field) instanceof List<?> items) {
            items.forEach(item -> out.add(String.valueOf(item)));
        }
        return out;
    }

    /** A kick waiting for nodes to report connections ended: how many are still to come, and who reported. */
    private record PendingKick(AtomicInteger waiting, Set<String> reporters, CompletableFuture<Void> reported) {
    }
}
