package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A node stopped right after its last client left removes that client's presence first and then leaves the
 * cluster's set of nodes, instead of leaving a device behind for a survivor to clear.
 */
class RedisGracefulStopTest {
    private static final RedisKeys KEYS = new RedisKeys("sse");
    private static RedisServers redis;

    @BeforeAll
    static void start() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        redis = RedisServers.standalone();
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void aNodeStoppedAsItsLastClientLeavesLeavesNothingBehind() throws InterruptedException {
        TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address()));
        try (SseClient client = node.connect("u1", "d1")) {
            client.nextOfType("sys_connected");
            assertThat(node.api().send(Map.of("uid", "u1", "data", "hello"))).isEqualTo(1);
            assertThat(client.next().data()).isEqualTo("hello");
            assertThat(redis.first().cli("SMEMBERS", KEYS.nodes()).trim()).isNotEmpty();
        } finally {
            node.close();
        }
        assertThat(redis.first().cli("SMEMBERS", KEYS.nodes()).trim()).isEmpty();
        assertThat(redis.first().cli("HLEN", KEYS.userPresence("u1")).trim()).isEqualTo("0");
        assertThat(redis.first().cli("SCARD", KEYS.onlineUsers()).trim()).isEqualTo("0");
    }

    /**
     * With no time for a graceful drain, the connections are closed at once: their devices still leave the engine
     * before it closes (its connections run on one of the node's event loops, which stop after it).
     */
    @Test
    void aNodeStoppedWithNoTimeToDrainStillRemovesItsDevicesBeforeLeaving() throws InterruptedException {
        TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address(), "server.shutdown_timeout", "0"));
        List<SseClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                SseClient client = node.connect("u-now-" + i, "d-now-" + i);
                client.nextOfType("sys_connected");
                clients.add(client);
            }
            assertThat(redis.first().cli("SCARD", KEYS.onlineUsers()).trim()).isEqualTo("20");
            node.close();
            assertThat(redis.first().cli("SMEMBERS", KEYS.nodes()).trim()).isEmpty();
            assertThat(redis.first().cli("SCARD", KEYS.onlineUsers()).trim()).isEqualTo("0");
            for (int i = 0; i < 20; i++) {
                assertThat(redis.first().cli("HLEN", KEYS.userPresence("u-now-" + i)).trim()).isEqualTo("0");
            }
        } finally {
            clients.forEach(SseClient::close);
            node.close();
        }
    }

    /**
     * A stop logs no error: the Redis connections' last events (their channels going inactive) run before the client
     * resources they report to are shut down. Each stop races them; a few stops in a row make a late one likely.
     */
    @Test
    void aNodeStopsWithoutLoggingAnError() throws InterruptedException {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        root.addAppender(logged);
        try {
            for (int i = 0; i < 8; i++) {
                TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address()));
                try (SseClient client = node.connect("u-stop-" + i, "d-stop-" + i)) {
                    client.nextOfType("sys_connected");
                } finally {
                    node.close();
                }
            }
        } finally {
            root.detachAppender(logged);
        }
        assertThat(logged.list).filteredOn(event -> event.getLevel().isGreaterOrEqual(Level.ERROR))
                .extracting(ILoggingEvent::getFormattedMessage).isEmpty();
    }
}
