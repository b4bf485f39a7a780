package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A node that stalled and was taken for dead: it registers its connections again on the first mark of a peer's
 * clear, while that clear goes on and removes more of its entries. Should the peer stop before it writes its last
 * mark, nothing else would tell: the node watches the clear's lock, and once it is gone registers again what the
 * clear removed after its first look.
 */
class ClearedWhileAliveTest {
    private static final RedisKeys KEYS = new RedisKeys("sse");

    @Test
    void entriesAClearRemovedAfterTheNodeRegisteredAgainAreWrittenAgainOnceItsLockIsGone() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            BrokerConfig config = new ConfigLoader(Map.of()).load(Optional.empty(), Map.of(
                    "redis.addrs", redis.first().address(), "redis.node_heartbeat", "1",
                    "jwt.secret", "cleared-while-alive-secret-of-32-bytes")).config();
            RedisEngine engine = new RedisEngine(config, "127.0.0.1:7001", "test", StateChangeListener.NONE);
            try {
                engine.start(new IgnoringEngineListener());
                RedisServers.Server server = redis.first();
                DeviceSession session = new DeviceSession("u-alive", "d-alive", "k-alive", "127.0.0.1:7001",
                        "127.0.0.1:5555", System.currentTimeMillis());
                assertThat(engine.register(session, 4, System.currentTimeMillis()).join().accepted()).isTrue();
                String node = server.cli("SMEMBERS", KEYS.nodes()).trim();

                // a peer's clear of this node begins: its lock and its first mark
                server.cli("SET", KEYS.nodeClearLock(node), "a peer's clear", "PX", "60000");
                server.cli("SET", KEYS.nodeCleared(node), "peer first-mark", "PX", "60000");
                sleep(3_000); // the node acts on the mark, and registers again what is missing: nothing yet
                // the clear's next page removes the entry, and the peer stops before its last mark
                server.cli("HDEL", KEYS.userPresence("u-alive"), "d-alive");
                server.cli("HDEL", KEYS.nodeDevices(node), "k-alive");
                sleep(2_000);
                assertThat(server.cli("HEXISTS", KEYS.userPresence("u-alive"), "d-alive").trim())
                        .as("nothing tells while the lock is held").isEqualTo("0");

                server.cli("DEL", KEYS.nodeClearLock(node)); // its time is up: the peer is gone
                await().atMost(Duration.ofSeconds(10)).until(() ->
                        server.cli("HEXISTS", KEYS.userPresence("u-alive"), "d-alive").trim().equals("1"));
                assertThat(engine.device("d-alive").join()).map(DeviceSession::nonce).contains("k-alive");
            } finally {
                engine.close();
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
