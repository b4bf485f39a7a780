package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.engine.Publication;
import io.ssebroker.testing.RedisServers;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A stream keeps its entries for {@code sse.device_frame_cache_expire} by Redis's clock, which makes their ids, not
 * by the clock of the node that appends: the two may differ (another host, a failover to a master whose clock is
 * behind).
 */
class StreamAgeTest {
    private static final RedisKeys KEYS = new RedisKeys("sse");

    @Test
    void aNodeWhoseClockIsAheadOfRedisByMoreThanTheAgeKeepsWhatItAppends() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of())) {
            RedisStreams streams = streams(parts, 60);
            long tenMinutesAhead = System.currentTimeMillis() + TimeUnit.MINUTES.toMillis(10);
            for (int i = 0; i < 3; i++) {
                append(streams, "u-ahead", "m" + i, tenMinutesAhead + i);
            }
            assertThat(redis.first().cli("XLEN", KEYS.userStream("u-ahead")).trim()).isEqualTo("3");
        }
    }

    @Test
    void anEntryOlderThanTheAgeByRedisClockGoesAtTheNextAppend() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of())) {
            RedisStreams streams = streams(parts, 1);
            append(streams, "u-aged", "old", System.currentTimeMillis());
            Thread.sleep(1_300);
            append(streams, "u-aged", "new", System.currentTimeMillis());
            assertThat(redis.first().cli("XLEN", KEYS.userStream("u-aged")).trim()).isEqualTo("1");
            assertThat(redis.first().cli("XRANGE", KEYS.userStream("u-aged"), "-", "+")).contains("new").doesNotContain("old");
        }
    }

    private static RedisStreams streams(RedisTestConnections parts, int keptSeconds) {
        BrokerConfig config = new ConfigLoader(Map.of()).load(Optional.empty(), Map.of(
                "sse.device_frame_cache_expire", Integer.toString(keptSeconds),
                "jwt.secret", "stream-age-test-secret-of-32-bytes-long")).config();
        RedisScripts scripts = new RedisScripts(parts.connections().commands);
        return new RedisStreams(scripts, scripts, KEYS, config);
    }

    private static void append(RedisStreams streams, String uid, String data, long nowMillis) {
        Publication publication = new Publication(null, data, Set.of(uid), Set.of());
        streams.append(uid, publication, "", nowMillis, streams.publicationId(publication)).join();
    }
}
