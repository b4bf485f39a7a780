package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.RedisCommandTimeoutException;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.StateChange;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The changes queued in a user's outbox are taken by a script that moves them out of the outbox: a run carried out
 * by Redis whose answer the node did not get (here: Redis busy past the command timeout) must not lose them, and a
 * run that never reached Redis must not, asked again, change their order.
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
     * A take whose first run never reached Redis (lost on its way, as with a connection that dropped) is asked again
     * after takes sent later were carried out. Its run again must not take what was queued after those: the node hands
     * the takes' changes on in the order it sent them, and a device's offline would be reported before its online.
     */
    @Test
    void aTakeAskedAgainAfterItsFirstRunWasLostTakesNothingNewerThanALaterTake() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of("redis.timeout", "1"))) {
            List<String> reported = new CopyOnWriteArrayList<>();
            LosingATake drains = new LosingATake();
            RedisPresence presence = parts.presence(NODE, change -> reported.add(change.kind()
                    + (change.kind().name().startsWith("DEVICE") ? " " + change.device() : "")), 0, drains::around);
            DeviceSession phone = new DeviceSession("u-lost", "phone", "n-phone", NODE, "127.0.0.1:5555",
                    System.currentTimeMillis());
            DeviceSession laptop = new DeviceSession("u-lost", "laptop", "n-laptop", NODE, "127.0.0.1:5556",
                    System.currentTimeMillis());
            presence.register(phone, 4, System.currentTimeMillis(), CompletableFuture.completedFuture(null)).join();

            drains.loseNext = true;
            CompletableFuture<?> phoneOff = presence.unregister(phone, StateChange.DEVICE_DISCONNECT);
            await().atMost(Duration.ofSeconds(5)).until(() -> drains.lost != null);
            int answered = drains.answered.get();
            CompletableFuture<?> laptopOn = presence.register(laptop, 4, System.currentTimeMillis(),
                    CompletableFuture.completedFuture(null));
            await().atMost(Duration.ofSeconds(5)).until(() -> drains.answered.get() == answered + 1);
            drains.holdNext = true;
            CompletableFuture<?> laptopOff = presence.unregister(laptop, StateChange.DEVICE_DISCONNECT);
            drains.heldArrived.get(5, TimeUnit.SECONDS);

            drains.reruns.complete(null);
            await().atMost(Duration.ofSeconds(5)).until(() -> drains.rerunsAnswered.get() > 0);
            drains.held.complete(null);
            CompletableFuture.allOf(phoneOff, laptopOn, laptopOff).get(10, TimeUnit.SECONDS);

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(reported).containsExactly(
                    "USER_ONLINE", "DEVICE_ONLINE phone",
                    "DEVICE_OFFLINE phone", "USER_OFFLINE", "USER_ONLINE", "DEVICE_ONLINE laptop",
                    "DEVICE_OFFLINE laptop", "USER_OFFLINE"));
        }
    }

    /**
     * Runs the scripts, but can lose the first run of the next take of an outbox on its way to Redis (it fails as
     * unanswered, having changed nothing), and hold that take's runs again until {@link #reruns} completes; and hold
     * the next take before it is sent, until {@link #held} completes.
     */
    private static final class LosingATake {
        volatile boolean loseNext;
        volatile boolean holdNext;
        /** The request id of the take whose first run was lost. */
        volatile String lost;
        final CompletableFuture<Void> reruns = new CompletableFuture<>();
        final CompletableFuture<Void> held = new CompletableFuture<>();
        final CompletableFuture<Void> heldArrived = new CompletableFuture<>();
        /** Takes carried out by Redis and answered, the held and the run again excepted. */
        final AtomicInteger answered = new AtomicInteger();
        final AtomicInteger rerunsAnswered = new AtomicInteger();

        ScriptRunner around(ScriptRunner scripts) {
            return (script, keys, args) -> {
                if (script != RedisScripts.Script.DRAIN) {
                    return scripts.run(script, keys, args);
                }
                String request = args[2];
                if (request.equals(lost)) {
                    return reruns.thenCompose(released -> scripts.run(script, keys, args))
                            .whenComplete((taken, error) -> rerunsAnswered.incrementAndGet());
                }
                if (loseNext) {
                    loseNext = false;
                    lost = request;
                    return CompletableFuture.failedFuture(new RedisCommandTimeoutException("lost on its way to Redis"));
                }
                if (holdNext) {
                    holdNext = false;
                    heldArrived.complete(null);
                    return held.thenCompose(released -> scripts.run(script, keys, args));
                }
                return scripts.run(script, keys, args).whenComplete((taken, error) -> answered.incrementAndGet());
            };
        }
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
