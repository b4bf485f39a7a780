package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.engine.DeviceSession;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A recovery (Redis lost data) that runs while a connection of the node is still registering: the registration may
 * have been carried out by the server that lost it, and be accepted after. The recovery looks at the connection once
 * its registration is done, and writes its presence again.
 */
class NodeRecoveryTest {
    private static final String NODE = "node-recovering";
    private static final Pattern HGET_CALLS = Pattern.compile("cmdstat_hget:calls=(\\d+)");

    @Test
    void aConnectionRegisteringDuringARecoveryIsRestoredOnceItsRegistrationIsDone() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of())) {
            RedisConnections connections = parts.connections();
            RedisKeys keys = new RedisKeys("sse");
            EndedConnections ended = new EndedConnections(connections.commands, keys, 16, 60_000);
            RedisPresence presence = parts.presence(NODE);
            PresenceSweep sweep = sweepOfThisNodeAlone(connections, keys, presence);
            DeviceSession session = new DeviceSession("u-in-flight", "d-in-flight", "n-in-flight", "127.0.0.1:7001",
                    "127.0.0.1:5555", System.currentTimeMillis());
            // The node's side: the connection is local, its registration in flight; its script ran on a Redis
            // that has lost it (nothing of it is in Redis).
            Map<String, DeviceSession> local = new ConcurrentHashMap<>(Map.of(session.nonce(), session));
            CompletableFuture<Void> registration = new CompletableFuture<>();
            Map<String, CompletableFuture<Void>> registering = new ConcurrentHashMap<>(Map.of(session.nonce(), registration));
            List<DeviceSession> extruded = new CopyOnWriteArrayList<>();
            CountDownLatch foundRegistering = new CountDownLatch(1);
            Function<String, CompletableFuture<Void>> registrationOf = nonce -> {
                CompletableFuture<Void> inFlight = registering.get(nonce);
                if (inFlight != null) {
                    foundRegistering.countDown();
                }
                return inFlight;
            };
            NodeRecovery recovery = new NodeRecovery(connections.commands, keys, presence, local, registrationOf,
                    new IgnoringEngineListener() {
                        @Override
                        public void extrude(DeviceSession connection, String byClientAddress) {
                            extruded.add(connection);
                        }
                    },
                    () -> CompletableFuture.completedFuture(null), () -> { }, ended::contains,
                    (replaced, by) -> CompletableFuture.completedFuture(null), sweep, connections::masters, parts.scheduler());
            recovery.start().join();

            recovery.recover();
            assertThat(foundRegistering.await(10, TimeUnit.SECONDS))
                    .as("the recovery reached the connection while its registration was in flight").isTrue();
            registering.remove(session.nonce());
            registration.complete(null); // accepted

            await().atMost(Duration.ofSeconds(5)).until(() -> presence.device("d-in-flight").join()
                    .map(DeviceSession::nonce).filter("n-in-flight"::equals).isPresent());
            assertThat(presence.nodeSessions().join()).extracting(DeviceSession::nonce).containsExactly("n-in-flight");
            assertThat(extruded).isEmpty();
        }
    }

    /**
     * An ask to write a connection's presence again, repeated while the failed connection's entry stays (its node asks
     * again at each heartbeat while its record of the ask fails): one restore runs for it, not one per ask. Three asks
     * cost Redis no more reads than one ask.
     */
    @Test
    void aRestoreAskedAgainWhileItRunsRunsOnce() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of())) {
            RedisConnections connections = parts.connections();
            RedisKeys keys = new RedisKeys("sse");
            RedisPresence presence = parts.presence(NODE);
            PresenceSweep sweep = sweepOfThisNodeAlone(connections, keys, presence);
            Map<String, DeviceSession> local = new ConcurrentHashMap<>();
            NodeRecovery recovery = new NodeRecovery(connections.commands, keys, presence, local, nonce -> null,
                    new IgnoringEngineListener(), () -> CompletableFuture.completedFuture(null), () -> { },
                    (uid, nonce) -> CompletableFuture.completedFuture(false),
                    (replaced, by) -> CompletableFuture.completedFuture(null), sweep, connections::masters, parts.scheduler());
            recovery.start().join();

            long askedOnce = readsOfRestore(redis.first(), presence, recovery, local, "u-once", 1);
            long askedThrice = readsOfRestore(redis.first(), presence, recovery, local, "u-thrice", 3);
            assertThat(askedOnce).as("reads of one ask").isPositive();
            assertThat(askedThrice).as("reads of three asks").isPositive().isLessThanOrEqualTo(askedOnce);
        }
    }

    /**
     * Asks {@code asks} times to write again the presence of a connection of the node whose device a failed connection
     * holds, removes the failed connection's entry once the asks have looked at it, and counts Redis's reads of
     * presence until every restore is done.
     */
    private static long readsOfRestore(RedisServers.Server server, RedisPresence presence, NodeRecovery recovery,
                                       Map<String, DeviceSession> local, String uid, int asks) throws InterruptedException {
        long now = System.currentTimeMillis();
        DeviceSession held = new DeviceSession(uid, "d-" + uid, "held-" + uid, "127.0.0.1:7001", "127.0.0.1:5555", now);
        DeviceSession failed = new DeviceSession(uid, "d-" + uid, "failed-" + uid, "127.0.0.1:7001", "127.0.0.1:5556", now);
        presence.register(failed, 4, now, CompletableFuture.completedFuture(null)).join();
        local.put(held.nonce(), held);
        server.cli("CONFIG", "RESETSTAT");
        for (int ask = 0; ask < asks; ask++) {
            recovery.restore(held, failed.nonce());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> reads(server) > 0);
        Thread.sleep(200); // every round of tries that started has looked once: each looks again a second later
        presence.unregister(failed, "device_disconnect").join();
        // looked at with HGETALL, not counted among the reads
        String entries = new RedisKeys("sse").userPresence(uid);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.cli("HGETALL", entries).contains(held.nonce()));
        Thread.sleep(2500); // what another round would do once the entry is gone is done by then
        long reads = reads(server);
        assertThat(presence.device("d-" + uid).join()).map(DeviceSession::nonce).contains(held.nonce());
        return reads;
    }

    private static long reads(RedisServers.Server server) {
        Matcher reads = HGET_CALLS.matcher(server.cli("INFO", "commandstats"));
        return reads.find() ? Long.parseLong(reads.group(1)) : 0;
    }

    /** A sweep for a cluster of this node alone, which clears nothing. */
    private static PresenceSweep sweepOfThisNodeAlone(RedisConnections connections, RedisKeys keys, RedisPresence presence) {
        return new PresenceSweep(connections.commands, keys, presence, () -> CompletableFuture.completedFuture(Set.of(NODE)),
                member -> CompletableFuture.completedFuture(true), NODE, 1000);
    }
}
