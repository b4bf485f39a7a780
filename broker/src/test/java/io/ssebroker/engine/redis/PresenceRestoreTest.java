package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.StateChangeJson;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.testing.RedisServers;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A connection registered again after Redis lost its presence gives way to whatever has its device by then: a newer
 * connection of the device, or another user that took the device, registered between the node's look at the entry
 * and the restore. It never overwrites them; a device nobody has is restored.
 */
class PresenceRestoreTest {
    private static final String NODE = "127.0.0.1:7001";

    @ParameterizedTest(name = "on a Redis Cluster: {0}")
    @ValueSource(booleans = {false, true})
    void aRestoredConnectionGivesWayToWhateverHasItsDeviceByNow(boolean cluster) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = cluster ? RedisServers.cluster() : RedisServers.standalone()) {
            BrokerConfig config = new ConfigLoader(Map.of()).load(Optional.empty(), Map.of(
                    "redis.addrs", String.join(",", redis.addresses()),
                    "jwt.secret", "presence-restore-test-secret-of-32-bytes")).config();
            ClientResources resources = DefaultClientResources.create();
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
            RedisConnections connections = RedisConnections.open(config.redis(), resources);
            try {
                RedisPresence presence = new RedisPresence(connections.commands, new RedisScripts(connections.commands),
                        new RedisKeys("sse"), StateChangeListener.NONE, new StateChangeJson(NODE),
                        new OfflineGrace(0, false, scheduler), 60_000,
                        new EndedConnections(connections.commands, new RedisKeys("sse"), 16, 60_000), NODE, !connections.cluster);

                register(presence, session("u-restored", "d-switched", "newer"));
                assertThat(presence.restore(session("u-restored", "d-switched", "older")).join())
                        .as("a newer connection of the device").isFalse();
                assertThat(presence.device("d-switched").join()).map(DeviceSession::nonce).contains("newer");

                register(presence, session("u-other", "d-taken", "theirs"));
                assertThat(presence.restore(session("u-restored", "d-taken", "mine")).join())
                        .as("another user's device by now").isFalse();
                assertThat(presence.device("d-taken").join()).map(DeviceSession::uid).contains("u-other");
                assertThat(presence.userDevices("u-restored").join()).extracting(DeviceSession::device)
                        .containsExactly("d-switched");

                assertThat(presence.nodeSessions().join()).as("the node's index keeps none that gave way")
                        .extracting(DeviceSession::nonce).doesNotContain("older", "mine");

                assertThat(presence.restore(session("u-restored", "d-free", "restored")).join()).isTrue();
                assertThat(presence.device("d-free").join()).map(DeviceSession::nonce).contains("restored");
                assertThat(presence.restore(session("u-restored", "d-free", "restored")).join())
                        .as("restored twice: its own entry").isTrue();
            } finally {
                connections.close();
                resources.shutdown(0, 2, TimeUnit.SECONDS);
                scheduler.shutdownNow();
            }
        }
    }

    private static void register(RedisPresence presence, DeviceSession session) {
        presence.register(session, 4, System.currentTimeMillis(), CompletableFuture.completedFuture(null)).join();
    }

    private static DeviceSession session(String uid, String device, String nonce) {
        return new DeviceSession(uid, device, nonce, NODE, "127.0.0.1:5555", System.currentTimeMillis());
    }
}
