package io.ssebroker.engine.redis;

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.concurrent.CompletableFuture;

/**
 * The connections of each user that were kicked or extruded, remembered so that they cannot come back: a reconnect
 * with such a connection's cursor is refused, and a registration of it that Redis runs again (a command re-sent after
 * a reconnect) finds it ended. One list per user on the user's slot, newest first, bounded, expiring with the longest
 * token; the registration script writes it too, in the step that extrudes.
 */
final class EndedConnections {
    private final RedisClusterAsyncCommands<String, String> commands;
    private final RedisKeys keys;
    private final int perUser;
    private final long keptMillis;

    /**
     * @param perUser    how many ended connections of a user are remembered
     * @param keptMillis how long a user's list is kept after its last write: as long as a token can live
     */
    EndedConnections(RedisClusterAsyncCommands<String, String> commands, RedisKeys keys, int perUser, long keptMillis) {
        this.commands = commands;
        this.keys = keys;
        this.perUser = perUser;
        this.keptMillis = keptMillis;
    }

    CompletableFuture<Void> mark(String uid, String nonce) {
        String key = keys.endedConnections(uid);
        return CompletableFuture.allOf(commands.lpush(key, nonce).toCompletableFuture(),
                commands.ltrim(key, 0, perUser - 1).toCompletableFuture(),
                commands.pexpire(key, keptMillis).toCompletableFuture());
    }

    CompletableFuture<Boolean> contains(String uid, String nonce) {
        return commands.lpos(keys.endedConnections(uid), nonce).toCompletableFuture().thenApply(position -> position != null);
    }

    /** How many ended connections of a user are remembered, for the scripts that write the list. */
    int perUser() {
        return perUser;
    }

    /** How long a user's list is kept after its last write, for the scripts that write it. */
    long keptMillis() {
        return keptMillis;
    }
}
