package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.StateChange;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The changes queued in a user's outbox are taken by a script that moves them out of the outbox: a run carried out
 * by Redis whose answer the node did not get (here: Redis busy past the command timeout) must not lose them.
 */
class PresenceDrainTest {
    private static final String NODE = "127.0.0.1:7001";
    /** Keeps Redis busy for three seconds: commands sent meanwhile wait, and time out after the node's one second. */
    private static final String BUSY_TWO_SECONDS = "local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] "
            + "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start > 3000000";

    @Test
    void changesTakenByARunWhoseAnswerTimedOutAreReportedAll() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of("redis.timeout", "1"))) {
            List<StateChange.Kind> reported = new CopyOnWriteArrayList<>();
            // Offlines held for a second: the node takes them from the outbox on its own, while Redis is busy.
            RedisPresence presence = parts.presence(NODE, change -> reported.add(change.kind()), 1_000);
            DeviceSession session = new DeviceSession("u-drained", "d-drained", "n-drained", NODE, "127.0.0.1:5555",
                    System.currentTimeMillis());
            presence.register(session, 4, System.currentTimeMillis(), CompletableFuture.completedFuture(null)).join();
            presence.unregister(session, StateChange.DEVICE_DISCONNECT).join();
            assertThat(reported).containsExactly(StateChange.Kind.USER_ONLINE, StateChange.Kind.DEVICE_ONLINE);

            redis.first().cli("EVAL", BUSY_TWO_SECONDS, "0");

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(reported).containsExactly(
                    StateChange.Kind.USER_ONLINE, StateChange.Kind.DEVICE_ONLINE,
                    StateChange.Kind.DEVICE_OFFLINE, StateChange.Kind.USER_OFFLINE));
        }
    }

    /**
     * Redis stalled (SIGSTOP) for six seconds while the node takes the outbox: every run sent meanwhile times out,
     * and Redis carries them all out once it runs again. The node keeps asking past the outage.
     */
    @Test
    void changesTakenDuringARedisStallLongerThanAFewTimeoutsAreReportedAll() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of("redis.timeout", "1"))) {
            List<StateChange.Kind> reported = new CopyOnWriteArrayList<>();
            RedisPresence presence = parts.presence(NODE, change -> reported.add(change.kind()), 1_000);
            DeviceSession session = new DeviceSession("u-stalled", "d-stalled", "n-stalled", NODE, "127.0.0.1:5555",
                    System.currentTimeMillis());
            presence.register(session, 4, System.currentTimeMillis(), CompletableFuture.completedFuture(null)).join();
            presence.unregister(session, StateChange.DEVICE_DISCONNECT).join();
            assertThat(reported).containsExactly(StateChange.Kind.USER_ONLINE, StateChange.Kind.DEVICE_ONLINE);

            RedisServers.Server server = redis.first();
            server.pause(); // the take comes a second after the offline, and waits
            try {
                Thread.sleep(6_000);
            } finally {
                server.resume();
            }

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(reported).containsExactly(
                    StateChange.Kind.USER_ONLINE, StateChange.Kind.DEVICE_ONLINE,
                    StateChange.Kind.DEVICE_OFFLINE, StateChange.Kind.USER_OFFLINE));
        }
    }
}
