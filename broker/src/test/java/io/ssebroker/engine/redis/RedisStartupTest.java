package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.testing.Api;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A node started before its Redis (start-up order in a container or under systemd): it serves {@code /healthz},
 * says why it is not ready, refuses sends with 503, tells event streams to come back later, and becomes ready on
 * its own once Redis is.
 */
class RedisStartupTest {

    @Test
    void aNodeStartedBeforeAStandaloneRedisBecomesReadyWhenRedisIs() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standaloneNotStarted();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.timeout", "1"))) {
            assertWaitingForRedis(node);
            redis.startAll();
            assertBecomesReadyAndDelivers(node, "u-late");
        }
    }

    /** The cause may name internal addresses (or a user's channel under repair): publishers alone are told it. */
    @Test
    void whyTheNodeIsNotReadyIsToldInFullToPublishersAlone() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        String key = "publisher-key-of-the-startup-test";
        try (RedisServers redis = RedisServers.standaloneNotStarted();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.timeout", "1",
                     "auth.api_keys", key))) {
            Api.Answer anyone = node.api().get("/readyz", Map.of());
            assertThat(anyone.status()).isEqualTo(503);
            assertThat(anyone.msg()).isEqualTo("not ready: engine unavailable");
            Api.Answer publisher = node.api().get("/readyz", Map.of(), Map.of("X-API-Key", key));
            assertThat(publisher.status()).isEqualTo(503);
            assertThat(publisher.msg()).startsWith("not ready: engine unavailable: ").contains("Redis");
        }
    }

    @Test
    void aNodeStartedWhileTheClusterIsStillFormingBecomesReadyWhenItHasFormed() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.clusterNotFormed();
             TestNode node = TestNode.start(Map.of("redis.addrs", String.join(",", redis.addresses()), "redis.timeout", "1"))) {
            assertWaitingForRedis(node);
            redis.formCluster();
            assertBecomesReadyAndDelivers(node, "u-forming");
        }
    }

    private static void assertWaitingForRedis(TestNode node) {
        assertThat(node.api().get("/healthz", Map.of()).status()).isEqualTo(200);
        Api.Answer ready = node.api().get("/readyz", Map.of());
        assertThat(ready.status()).isEqualTo(503);
        assertThat(ready.msg()).contains("Redis");
        Api.Answer send = node.api().postForm("/send", Map.of("uid", "u", "data", "x"));
        assertThat(send.status()).isEqualTo(503);
        assertThat(send.msg()).contains("Redis");
        try (SseClient client = node.connect("u-early", "d-early")) {
            assertThat(client.status()).as("never a final status for an EventSource").isEqualTo(200);
            List<Event> events = client.readUntilClosed(Duration.ofSeconds(10));
            assertThat(events).extracting(Event::event).containsExactly("sys_unavailable");
            assertThat(client.retry()).isPositive();
        }
    }

    private static void assertBecomesReadyAndDelivers(TestNode node, String uid) throws Exception {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> node.api().get("/readyz", Map.of()).status() == 200);
        try (SseClient client = node.connect(uid, "d-" + uid)) {
            client.nextOfType("sys_connected");
            assertThat(node.api().send(Map.of("uid", uid, "data", "hello"))).isEqualTo(1);
            assertThat(client.next().data()).isEqualTo("hello");
        }
    }
}
