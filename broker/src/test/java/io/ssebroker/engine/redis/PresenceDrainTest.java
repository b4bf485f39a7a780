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
    private static final String BUSY_THREE_SECONDS = "local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] "
            + "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start > 3000000";

    /** What the test does to Redis while the node takes the outbox. */
    private interface Fault {
        void inject(RedisServers redis) throws Exception;
    }

    @Test
    void changesTakenByARunWhoseAnswerTimedOutAreReportedAll() throws Exception {
        assertEveryChangeReportedAcross(redis -> redis.first().cli("EVAL", BUSY_THREE_SECONDS, "0"), "drained",
                Duration.ofSeconds(10));
    }

    /**
     * Redis stalled (SIGSTOP) for six seconds while the node takes the outbox: every run sent meanwhile times out,
     * and Redis carries them all out once it runs again. The node keeps asking past the outage.
     */
    @Test
    void changesTakenDuringARedisStallLongerThanAFewTimeoutsAreReportedAll() throws Exception {
        assertEveryChangeReportedAcross(redis -> {
            redis.first().pause();
            try {
                Thread.sleep(6_000);
            } finally {
                redis.first().resume();
            }
        }, "stalled", Duration.ofSeconds(20));
    }

    /**
     * A device connects and disconnects; its offline is held for a second, after which the node takes it from the
     * outbox on its own, during the fault (injected right after the disconnect). Online and offline must all be
     * reported once the fault is over.
     */
    private static void assertEveryChangeReportedAcross(Fault fault, String name, Duration within) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of("redis.timeout", "1"))) {
            List<StateChange.Kind> reported = new CopyOnWriteArrayList<>();
            RedisPresence presence = parts.presence(NODE, change -> reported.add(change.kind()), 1_000);
            DeviceSession session = new DeviceSession("u-" + name, "d-" + name, "n-" + name, NODE, "127.0.0.1:5555",
                    System.currentTimeMillis());
            presence.register(session, 4, System.currentTimeMillis(), CompletableFuture.completedFuture(null)).join();
            presence.unregister(session, StateChange.DEVICE_DISCONNECT).join();
            assertThat(reported).containsExactly(StateChange.Kind.USER_ONLINE, StateChange.Kind.DEVICE_ONLINE);

            fault.inject(redis);

            await().atMost(within).untilAsserted(() -> assertThat(reported).containsExactly(
                    StateChange.Kind.USER_ONLINE, StateChange.Kind.DEVICE_ONLINE,
                    StateChange.Kind.DEVICE_OFFLINE, StateChange.Kind.USER_OFFLINE));
        }
    }
}
