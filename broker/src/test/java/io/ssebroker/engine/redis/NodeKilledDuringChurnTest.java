package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.ssebroker.testing.NodeProcess;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node killed with SIGKILL while 40 clients connect and disconnect on it, several times: within three heartbeats
 * none of its devices is online anywhere (no ghost, in the devices or in the count of users), and every user's and
 * device's callbacks alternate online, offline, once each, ending offline.
 */
class NodeKilledDuringChurnTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int THREADS = 40;
    private static final int ROUNDS = 3;

    @Test
    void nodesKilledDuringChurnLeaveNoGhostAndPairedCallbacks(@TempDir Path dir) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode survivor = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.node_heartbeat", "1"))) {
            Map<String, List<String>> userChanges = new ConcurrentHashMap<>();
            Map<String, List<String>> deviceChanges = new ConcurrentHashMap<>();
            RedisClient client = RedisClient.create("redis://" + redis.first().address());
            try (StatefulRedisPubSubConnection<String, String> callbacks = client.connectPubSub()) {
                callbacks.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(String channel, String message) {
                        try {
                            JsonNode change = JSON.readTree(message);
                            String kind = change.path("payload").path("event").asText();
                            Map<String, List<String>> byTarget = kind.startsWith("user") ? userChanges : deviceChanges;
                            String target = kind.startsWith("user") ? change.path("uid").asText() : change.path("device").asText();
                            byTarget.computeIfAbsent(target, k -> new CopyOnWriteArrayList<>()).add(kind.replaceFirst("^(user|device)_", ""));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                });
                callbacks.sync().subscribe("sse_topic_user_online", "sse_topic_user_offline", "sse_topic_device_online",
                        "sse_topic_device_offline");
                List<String> uids = new ArrayList<>();
                for (int round = 0; round < ROUNDS; round++) {
                    uids.addAll(churnAndKill(dir, redis, round));
                }
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                    for (String uid : uids) {
                        assertThat(survivor.api().get("/info", Map.of("uid", uid)).result().path("online").asBoolean())
                                .as("%s still online", uid).isFalse();
                    }
                    assertThat(survivor.api().get("/info", Map.of()).result().path("user_count").asInt()).isZero();
                    userChanges.forEach((uid, changes) -> alternatesAndEndsOffline("user " + uid, changes));
                    deviceChanges.forEach((device, changes) -> alternatesAndEndsOffline("device " + device, changes));
                });
                assertThat(userChanges).as("users seen online").isNotEmpty();
            } finally {
                client.shutdown();
            }
        }
    }

    private static void alternatesAndEndsOffline(String target, List<String> changes) {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < changes.size(); i++) {
            expected.add(i % 2 == 0 ? "online" : "offline");
        }
        assertThat(changes).as(target).containsExactlyElementsOf(expected).hasSizeGreaterThan(0).endsWith("offline");
    }

    /** One node, 40 threads connecting and disconnecting on it, killed after a while; returns the uids used. */
    private static List<String> churnAndKill(Path dir, RedisServers redis, int round) throws Exception {
        NodeProcess doomed = NodeProcess.start(dir, Map.of("SSE_BROKER_REDIS_ADDRS", redis.first().address(),
                "SSE_BROKER_REDIS_NODE_HEARTBEAT", "1"));
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        List<String> uids = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            String uid = "u-churn-" + round + "-" + t;
            uids.add(uid);
            Thread thread = new Thread(() -> {
                for (int k = 0; !stop.get(); k++) {
                    try (SseClient connection = doomed.connect(uid, uid + "-d" + (k % 3))) {
                        connection.next(Duration.ofSeconds(5));
                    } catch (RuntimeException | AssertionError e) {
                        // the node is being killed: connections fail
                    }
                }
            }, "churn-" + t);
            threads.add(thread);
            thread.start();
        }
        Thread.sleep(1500 + 300L * round);
        doomed.kill();
        stop.set(true);
        for (Thread thread : threads) {
            thread.join(10_000);
        }
        return uids;
    }
}
