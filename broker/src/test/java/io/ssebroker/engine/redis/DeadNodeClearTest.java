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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A survivor's clear of a dead node's devices, against a real Redis: it goes a page of the node's index at a time,
 * asking before each further page whether it may go on (its lock still held), so that a clear of many devices
 * neither floods the survivor nor runs twice; one stopped half-way leaves the rest, and only the rest, to the next.
 * And the lock it holds is renewed only while it is the holder's.
 */
class DeadNodeClearTest {
    private static final String DEAD = "127.0.0.1:7001~dead";
    private static final String SURVIVOR = "127.0.0.1:7002~survivor";
    private static final int DEVICES = 2_500;

    @Test
    void aClearStoppedHalfWayLeavesTheRestToTheNextWhichRemovesNothingTwice() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of())) {
            RedisPresence dead = parts.presence(DEAD);
            CompletableFuture.allOf(IntStream.range(0, DEVICES).mapToObj(i -> dead.register(
                    new DeviceSession("u-" + i, "d-" + i, "k" + i, DEAD, "127.0.0.1:5555", System.currentTimeMillis()),
                    4, System.currentTimeMillis(), CompletableFuture.completedFuture(null)))
                    .toArray(CompletableFuture[]::new)).join();
            RedisPresence survivor = parts.presence(SURVIVOR);

            AtomicInteger asked = new AtomicInteger();
            assertThat(survivor.clearNode(DEAD, StateChange.INSTANCE_CLEAR,
                    () -> CompletableFuture.completedFuture(asked.incrementAndGet() == 1), session -> { }))
                    .as("stopped after its first page: its lock lost").failsWithin(Duration.ofSeconds(30));
            assertThat(asked).as("asked before each page").hasValue(2);
            int left = dead.nodeDeviceCount(DEAD).join();
            assertThat(left).as("the first page left the index with its removals").isBetween(1, DEVICES - 1);
            assertThat(survivor.userCount().join()).isEqualTo(left);

            assertThat(survivor.clearNode(DEAD, StateChange.INSTANCE_CLEAR, () -> CompletableFuture.completedFuture(true),
                    session -> { }).join()).as("the next clear removes the rest").isEqualTo(left);
            assertThat(dead.nodeDeviceCount(DEAD).join()).isZero();
            assertThat(survivor.userCount().join()).isZero();
            assertThat(survivor.userDevices("u-" + (DEVICES - 1)).join()).isEmpty();
        }
    }

    /**
     * The dead node had just registered a connection that replaced another of its device, on the survivor, and died
     * before the new one went live (before it ended the one it replaced). Its clear takes back the ended mark that the
     * registration put on the replaced connection (whose client, back with its cursor, would be refused for good) and
     * has that connection's presence written again. A session that logged in long before is not looked at.
     */
    @Test
    void aConnectionThatJustReplacedAnotherIsUndoneWithItsDeadNode() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of())) {
            RedisPresence dead = parts.presence(DEAD);
            RedisPresence survivor = parts.presence(SURVIVOR);
            long now = System.currentTimeMillis();
            DeviceSession replaced = new DeviceSession("u-r", "d-r", "k-replaced", SURVIVOR, "127.0.0.1:5555", now - 5_000);
            survivor.register(replaced, 4, now, CompletableFuture.completedFuture(null)).join();
            DeviceSession replacing = new DeviceSession("u-r", "d-r", "k-replacing", DEAD, "127.0.0.1:5556", now);
            assertThat(dead.register(replacing, 4, now, CompletableFuture.completedFuture(null)).join().replaced())
                    .isEqualTo(replaced);
            DeviceSession longLive = new DeviceSession("u-l", "d-l", "k-long", DEAD, "127.0.0.1:5557",
                    now - RedisPresence.JUST_REGISTERED_MILLIS - 60_000);
            dead.register(longLive, 4, now, CompletableFuture.completedFuture(null)).join();
            EndedConnections ended = new EndedConnections(parts.connections().commands, new RedisKeys("sse"), 16, 60_000);
            assertThat(ended.contains("u-r", "k-replaced").join()).isTrue();

            List<DeviceSession> justRegistered = new CopyOnWriteArrayList<>();
            List<DeviceSession> restored = new CopyOnWriteArrayList<>();
            FailedRegistrations failed = new FailedRegistrations(survivor, (connection, failedNonce) -> {
                restored.add(connection);
                return CompletableFuture.completedFuture(null);
            });
            assertThat(survivor.clearNode(DEAD, StateChange.INSTANCE_CLEAR, () -> CompletableFuture.completedFuture(true),
                    session -> {
                        justRegistered.add(session);
                        failed.failed(session, true, true);
                    }).join()).isEqualTo(2);

            assertThat(justRegistered).extracting(DeviceSession::nonce).containsExactly("k-replacing");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertThat(ended.contains("u-r", "k-replaced").join()).as("its client may come back").isFalse();
                assertThat(restored).as("its presence written again, as it may be open").containsExactly(replaced);
            });
        }
    }

    @Test
    void aLockIsRenewedOnlyWhileItIsTheHolders() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of())) {
            RedisScripts scripts = new RedisScripts(parts.connections().commands);
            RedisServers.Server server = redis.first();
            server.cli("SET", "lock", "node-a", "PX", "1000");

            assertThat(extend(scripts, "node-a")).isTrue();
            assertThat(Long.parseLong(server.cli("PTTL", "lock").trim())).isGreaterThan(5_000);
            assertThat(extend(scripts, "node-b")).as("another node's").isFalse();
            assertThat(server.cli("GET", "lock").trim()).isEqualTo("node-a");

            server.cli("DEL", "lock");
            assertThat(extend(scripts, "node-a")).as("expired").isFalse();
            assertThat(server.cli("EXISTS", "lock").trim()).isEqualTo("0");
        }
    }

    private static boolean extend(RedisScripts scripts, String holder) {
        List<Object> answer = scripts.run(RedisScripts.Script.EXTEND_LOCK, new String[] {"lock"}, holder, "10000").join();
        return (Long) answer.get(0) == 1;
    }
}
