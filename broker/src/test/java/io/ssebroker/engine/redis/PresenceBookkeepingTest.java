package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.StateChange;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.testing.RedisServers;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a node keeps beside the presence entries, on a single Redis (where the presence scripts write it in the same
 * step) and on Redis Cluster (where the node writes it with commands of its own): the set of online users and the
 * node's index of its sessions (by which a survivor clears a dead node's presence). Both follow every registration,
 * refusal, extrusion and removal.
 */
class PresenceBookkeepingTest {
    private static final RedisKeys KEYS = new RedisKeys("sse");

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void theOnlineUsersAndTheNodesIndexFollowEveryChange(String deployment) {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        Supplier<RedisServers> start = deployment.equals("cluster") ? RedisServers::cluster : RedisServers::standalone;
        try (RedisServers redis = start.get()) {
            BrokerConfig config = TestEngines.config(redis);
            RedisEngine engine = new RedisEngine(config, "127.0.0.1:7001", "test", StateChangeListener.NONE);
            RedisClusterClient client = RedisClusterClient.create(RedisURI.create("redis://" + redis.first().address()));
            try (StatefulRedisClusterConnection<String, String> connection = deployment.equals("cluster")
                    ? client.connect(Utf8Codec.INSTANCE) : null) {
                engine.start(new IgnoringEngineListener());
                Inspector redisNow = deployment.equals("cluster") ? new Inspector(connection.sync())
                        : new Inspector(redis.first());
                String uid = "u-" + UUID.randomUUID();
                DeviceSession a = session(uid, "a");
                DeviceSession b = session(uid, "b");
                DeviceSession c = session(uid, "c");

                assertThat(engine.register(a, 2, System.currentTimeMillis()).join().accepted()).isTrue();
                assertThat(redisNow.listed(uid)).isTrue();
                String index = KEYS.nodeDevices(redisNow.onlyNode());
                assertThat(redisNow.indexed(index, a)).isTrue();
                assertThat(engine.register(b, 2, System.currentTimeMillis()).join().accepted()).isTrue();
                assertThat(engine.register(c, 2, System.currentTimeMillis()).join().accepted()).as("beyond the limit").isFalse();
                assertThat(redisNow.indexed(index, c)).as("a refused connection is not indexed").isFalse();

                assertThat(engine.unregister(a, StateChange.DEVICE_DISCONNECT).join()).isTrue();
                assertThat(redisNow.indexed(index, a)).isFalse();
                assertThat(redisNow.listed(uid)).as("b is still online").isTrue();

                DeviceSession b2 = session(uid, "b");
                assertThat(engine.register(b2, 2, System.currentTimeMillis()).join().replaced()).extracting(DeviceSession::nonce).isEqualTo(b.nonce());
                assertThat(engine.unregister(b, StateChange.DEVICE_DISCONNECT).join()).as("extruded already").isFalse();
                assertThat(redisNow.indexed(index, b)).isFalse();
                assertThat(redisNow.listed(uid)).as("b2 is online").isTrue();

                assertThat(engine.unregister(b2, StateChange.DEVICE_DISCONNECT).join()).isTrue();
                assertThat(redisNow.indexed(index, b2)).isFalse();
                assertThat(redisNow.listed(uid)).isFalse();
                assertThat(engine.userCount().join()).isZero();
            } finally {
                engine.close();
                client.shutdown();
            }
        }
    }

    private static DeviceSession session(String uid, String device) {
        return new DeviceSession(uid, uid + "-" + device, UUID.randomUUID().toString().replace("-", ""), "127.0.0.1:7001",
                "127.0.0.1:5555", System.currentTimeMillis());
    }

    /** Reads Redis directly: through redis-cli on a single server, through a cluster client on Redis Cluster. */
    private static final class Inspector {
        private final RedisAdvancedClusterCommands<String, String> cluster;
        private final RedisServers.Server server;

        Inspector(RedisAdvancedClusterCommands<String, String> cluster) {
            this.cluster = cluster;
            this.server = null;
        }

        Inspector(RedisServers.Server server) {
            this.cluster = null;
            this.server = server;
        }

        boolean listed(String uid) {
            return cluster != null ? cluster.sismember(KEYS.onlineUsers(), uid)
                    : server.cli("SISMEMBER", KEYS.onlineUsers(), uid).trim().equals("1");
        }

        boolean indexed(String index, DeviceSession session) {
            return cluster != null ? cluster.hexists(index, session.nonce())
                    : server.cli("HEXISTS", index, session.nonce()).trim().equals("1");
        }

        String onlyNode() {
            Set<String> nodes = cluster != null ? cluster.smembers(KEYS.nodes())
                    : Set.of(server.cli("SMEMBERS", KEYS.nodes()).trim().split("\n"));
            assertThat(nodes).hasSize(1);
            return nodes.iterator().next();
        }
    }
}
