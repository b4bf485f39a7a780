package io.ssebroker.engine.redis;

import io.ssebroker.testing.RedisServers;
import java.util.Arrays;
import java.util.UUID;
import java.util.function.Function;

/**
 * Names chosen for where their keys lie on a Redis Cluster, for tests that hold one shard back (writes paused on it)
 * while the keys of the rest of the case go on.
 */
final class ShardPlacement {
    private ShardPlacement() {
    }

    /** A name of this prefix (and a random part) whose keys are all on other shards than {@code away}. */
    @SafeVarargs
    static String nameAwayFrom(RedisServers servers, RedisServers.Server away, String prefix,
                               Function<String, String>... keys) {
        while (true) {
            String name = prefix + UUID.randomUUID();
            if (Arrays.stream(keys).allMatch(key -> servers.ownerOf(servers.slotOf(key.apply(name))) != away)) {
                return name;
            }
        }
    }
}
