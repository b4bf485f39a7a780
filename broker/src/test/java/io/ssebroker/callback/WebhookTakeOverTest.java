package io.ssebroker.callback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.testing.NodeProcess;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import io.ssebroker.testing.WebhookReceiver;
import io.ssebroker.testing.WebhookReceiver.Call;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With the Redis engine, a presence change a node took for its webhook stays recorded in Redis until the node has
 * posted it: when the node is killed, or stops while its webhook does not answer, the survivor that clears it posts
 * what it left, in order and under the same delivery ids. When everything is posted, nothing stays recorded.
 */
class WebhookTakeOverTest {
    private static final List<String> ONE_VISIT = List.of(
            "user_online u-take d-take device_connected", "device_online u-take d-take device_connected");

    @Test
    void changesAKilledNodeHadNotPostedArePostedByTheSurvivorUnderTheirIds(@TempDir Path dir) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            killedNodesChangesArePostedBySurvivor(redis, dir);
        }
    }

    /** On a Redis Cluster the node's set of users and the user's changes out for posting live on different masters. */
    @Test
    void onARedisClusterToo(@TempDir Path dir) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            killedNodesChangesArePostedBySurvivor(redis, dir);
        }
    }

    private static void killedNodesChangesArePostedBySurvivor(RedisServers redis, Path dir) throws Exception {
        String addrs = String.join(",", redis.addresses());
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            receiver.answerWith(call -> 503);
            try (TestNode survivor = TestNode.start(Map.of("redis.addrs", addrs, "redis.node_heartbeat", "1",
                         "callback.url", receiver.url("/hook")));
                 NodeProcess doomed = NodeProcess.start(dir, Map.of("SSE_BROKER_REDIS_ADDRS", addrs,
                         "SSE_BROKER_REDIS_NODE_HEARTBEAT", "1", "SSE_BROKER_CALLBACK_URL", receiver.url("/hook"),
                         "SSE_BROKER_CALLBACK_MAX_ATTEMPTS", "100"))) {
                try (SseClient client = doomed.connect("u-take", "d-take")) {
                    client.nextOfType("sys_connected");
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> !survivor.api().get("/info", Map.of("uid", "u-take"))
                        .result().path("online").asBoolean());
                Call failed = receiver.next(); // the first change, refused: the next wait behind it
                assertThat(failed.summary()).isEqualTo(ONE_VISIT.get(0));
                doomed.kill();
                List<Call> posted = postedOnceAnswering(receiver, 4);
                assertThat(posted).extracting(Call::summary).containsExactly(ONE_VISIT.get(0), ONE_VISIT.get(1),
                        "device_offline u-take d-take device_disconnect", "user_offline u-take d-take device_disconnect");
                assertThat(posted.get(0).header("X-SSE-Delivery")).isEqualTo(failed.header("X-SSE-Delivery"));
                assertThat(posted).extracting(call -> call.header("X-SSE-Delivery")).doesNotHaveDuplicates();
                assertThat(posted.get(0).body()).as("the bytes the dead node wrote, naming it").isEqualTo(failed.body());
                assertThat(posted.get(0).json().path("payload").path("node").asText()).isEqualTo("127.0.0.1:" + doomed.port());
                assertThat(receiver.within(Duration.ofSeconds(2))).as("each posted once by the survivor").isEmpty();
                assertNothingRecorded(redis);
            }
        }
    }

    /**
     * The node is killed with its device still connected: the survivor posts the onlines the node had not posted
     * before the offlines of its clear of the node's devices, as they happened.
     */
    @Test
    void aKilledNodesUnpostedOnlinesComeBeforeTheOfflinesOfItsClear(@TempDir Path dir) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone(); WebhookReceiver receiver = WebhookReceiver.start()) {
            receiver.answerWith(call -> 503);
            try (TestNode survivor = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.node_heartbeat", "1",
                         "callback.url", receiver.url("/hook")));
                 NodeProcess doomed = NodeProcess.start(dir, Map.of("SSE_BROKER_REDIS_ADDRS", redis.first().address(),
                         "SSE_BROKER_REDIS_NODE_HEARTBEAT", "1", "SSE_BROKER_CALLBACK_URL", receiver.url("/hook"),
                         "SSE_BROKER_CALLBACK_MAX_ATTEMPTS", "100"))) {
                SseClient client = doomed.connect("u-take", "d-take");
                client.nextOfType("sys_connected");
                Call failed = receiver.next();
                doomed.kill();
                List<Call> posted = postedOnceAnswering(receiver, 4);
                assertThat(posted).extracting(Call::summary).containsExactly(ONE_VISIT.get(0), ONE_VISIT.get(1),
                        "device_offline u-take d-take instance_clear", "user_offline u-take d-take instance_clear");
                assertThat(posted.get(0).header("X-SSE-Delivery")).isEqualTo(failed.header("X-SSE-Delivery"));
                assertThat(receiver.within(Duration.ofSeconds(2))).isEmpty();
                assertThat(survivor.api().get("/info", Map.of("uid", "u-take")).result().path("online").asBoolean()).isFalse();
                assertNothingRecorded(redis);
                client.close();
            }
        }
    }

    /**
     * Redis restarts empty while the node's webhook refuses a change: the node's set of users with changes out for
     * posting is lost with it. The node writes it again as it recovers, so that the changes its recovery recorded are
     * found by the survivor that clears it once it is killed.
     */
    @Test
    void changesRecordedAfterRedisRestartedEmptyArePostedByTheSurvivor(@TempDir Path dir) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standaloneWithSnapshots(); WebhookReceiver receiver = WebhookReceiver.start()) {
            receiver.answerWith(call -> 503);
            String address = redis.first().address();
            try (TestNode survivor = TestNode.start(Map.of("redis.addrs", address, "redis.node_heartbeat", "1",
                         "callback.url", receiver.url("/hook")));
                 NodeProcess doomed = NodeProcess.start(dir, Map.of("SSE_BROKER_REDIS_ADDRS", address,
                         "SSE_BROKER_REDIS_NODE_HEARTBEAT", "1", "SSE_BROKER_CALLBACK_URL", receiver.url("/hook"),
                         "SSE_BROKER_CALLBACK_MAX_ATTEMPTS", "100"))) {
                SseClient client = doomed.connect("u-take", "d-take");
                client.nextOfType("sys_connected");
                receiver.next(); // the first change, refused and retried: the user stays open on the node
                redis.first().kill();
                redis.first().restart(); // empty: nothing was saved
                await().atMost(Duration.ofSeconds(20)).until(() -> !redis.first().cli("LLEN", "sse:{u:u-take}:w").trim().equals("0"));
                doomed.kill();
                List<Call> posted = postedOnceAnswering(receiver, 4);
                assertThat(posted).extracting(Call::summary).containsExactly(ONE_VISIT.get(0), ONE_VISIT.get(1),
                        "device_offline u-take d-take instance_clear", "user_offline u-take d-take instance_clear");
                assertThat(receiver.within(Duration.ofSeconds(2))).isEmpty();
                assertNothingRecorded(redis);
                client.close();
            }
        }
    }

    @Test
    void changesANodeStoppedBeforeItsWebhookAnsweredArePostedByASurvivor() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone(); WebhookReceiver receiver = WebhookReceiver.start()) {
            receiver.answerWith(call -> 503);
            Map<String, String> settings = Map.of("redis.addrs", redis.first().address(), "redis.node_heartbeat", "1",
                    "callback.url", receiver.url("/hook"), "callback.max_attempts", "100", "server.shutdown_timeout", "1");
            try (TestNode survivor = TestNode.start(settings)) {
                TestNode stopping = TestNode.start(settings);
                SseClient client = stopping.connect("u-take", "d-take");
                client.nextOfType("sys_connected");
                Call failed = receiver.next();
                stopping.close(); // its webhook still refuses: the node gives up its backlog and leaves it recorded
                client.close();
                List<Call> posted = postedOnceAnswering(receiver, 4);
                assertThat(posted).extracting(Call::summary).containsExactly(ONE_VISIT.get(0), ONE_VISIT.get(1),
                        "device_offline u-take d-take instance_close", "user_offline u-take d-take instance_close");
                assertThat(posted.get(0).header("X-SSE-Delivery")).isEqualTo(failed.header("X-SSE-Delivery"));
                assertThat(receiver.within(Duration.ofSeconds(2))).isEmpty();
                assertThat(survivor.api().get("/info", Map.of()).result().path("instance_count").asInt()).isEqualTo(1);
                assertNothingRecorded(redis);
            }
        }
    }

    @Test
    void postedChangesLeaveNoRecordAndANodeThatPostedAllLeavesAtOnce() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone(); WebhookReceiver receiver = WebhookReceiver.start()) {
            Map<String, String> settings = Map.of("redis.addrs", redis.first().address(), "callback.url", receiver.url("/hook"));
            try (TestNode survivor = TestNode.start(settings)) {
                TestNode stopping = TestNode.start(settings);
                for (int i = 0; i < 5; i++) {
                    try (SseClient client = stopping.connect("u-take", "d-take")) {
                        client.nextOfType("sys_connected");
                    }
                    stopping.awaitOffline("d-take");
                }
                assertThat(receiver.next(20)).extracting(call -> call.header("X-SSE-Delivery")).doesNotHaveDuplicates();
                await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertNothingRecorded(redis));
                stopping.close();
                assertThat(survivor.api().get("/info", Map.of()).result().path("instance_count").asInt())
                        .as("nothing left to take over: the node left the cluster").isEqualTo(1);
                assertThat(redis.first().cli("SCARD", "sse:nodes").trim()).isEqualTo("1");
            }
        }
    }

    /**
     * Lets the webhook answer from now on, after dropping the refused attempts still queued (the node that made them
     * no longer posts), and returns the next {@code count} changes posted.
     */
    private static List<Call> postedOnceAnswering(WebhookReceiver receiver, int count) {
        receiver.within(Duration.ofMillis(200));
        receiver.answerWith(call -> 200);
        return receiver.next(count);
    }

    private static void assertNothingRecorded(RedisServers redis) {
        for (RedisServers.Server server : redis.servers()) {
            assertThat(server.cli("--scan", "--pattern", "sse:*:w").trim())
                    .as("users' changes out for posting, nodes' users with changes out").isEmpty();
        }
    }
}
