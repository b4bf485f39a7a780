package io.ssebroker.callback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import io.ssebroker.testing.WebhookReceiver;
import io.ssebroker.testing.WebhookReceiver.Call;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code callback.offline_grace} with the Redis engine holds across the cluster: a user who leaves node A and comes
 * back on node B within the grace produces neither an offline nor an online, on the webhook, and on the Redis
 * channels when {@code callback.offline_grace_channels} is set (else they get every change at once).
 */
class ClusterOfflineGraceTest {

    @Test
    void comingBackOnAnotherNodeWithinTheGraceSendsNeitherOnTheWebhook() throws Exception {
        List<String> channel = comeBackOnAnotherNode(false);
        assertThat(channel).as("the channels get every change at once by default").containsExactly(
                "user_online", "device_online", "device_offline", "user_offline", "user_online", "device_online",
                "device_offline", "user_offline");
    }

    @Test
    void withTheGraceOnTheChannelsTheyGetNeitherEither() throws Exception {
        List<String> channel = comeBackOnAnotherNode(true);
        assertThat(channel).containsExactly("user_online", "device_online", "device_offline", "user_offline");
    }

    /** Set for the channels with no grace and no webhook, the setting holds nothing back: they get every change. */
    @Test
    void theChannelsSettingWithoutAGraceHoldsNothing() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        List<String> channel = new CopyOnWriteArrayList<>();
        try (RedisServers redis = RedisServers.standalone()) {
            RedisClient client = RedisClient.create("redis://" + redis.first().address());
            try (StatefulRedisPubSubConnection<String, String> subscriber = subscribeToChanges(client, channel);
                 TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address(),
                         "callback.offline_grace_channels", "true"))) {
                try (SseClient device = node.connect("u-nograce", "d-nograce")) {
                    device.nextOfType("sys_connected");
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> channel.size() >= 4);
                assertThat(channel).containsExactly("user_online", "device_online", "device_offline", "user_offline");
            } finally {
                client.shutdown();
            }
        }
    }

    /** A connection subscribed to go-sse-broker's four change channels, adding the name of each change it gets. */
    private static StatefulRedisPubSubConnection<String, String> subscribeToChanges(RedisClient client, List<String> changes) {
        StatefulRedisPubSubConnection<String, String> subscriber = client.connectPubSub();
        subscriber.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String name, String json) {
                changes.add(name.replace("sse_topic_", ""));
            }
        });
        subscriber.sync().subscribe("sse_topic_user_online", "sse_topic_user_offline", "sse_topic_device_online",
                "sse_topic_device_offline");
        return subscriber;
    }

    /**
     * A device that connects again while its connection is still open (a page reload whose old connection has not
     * closed yet; a phone on another network) replaces that connection: within the grace, the webhook gets neither
     * the offline nor the online, as with the memory engine.
     */
    @Test
    void aDeviceThatReplacesItsOwnConnectionWithinTheGraceSendsNeither() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone(); WebhookReceiver receiver = WebhookReceiver.start()) {
            Map<String, String> settings = Map.of("redis.addrs", redis.first().address(),
                    "callback.url", receiver.url("/hook"), "callback.offline_grace", "2");
            try (TestNode a = TestNode.start(settings); TestNode b = TestNode.start(settings);
                 SseClient first = a.connect("u-again", "d-again")) {
                first.nextOfType("sys_connected");
                assertThat(receiver.next(2)).extracting(Call::event).containsExactly("user_online", "device_online");
                try (SseClient again = b.connect("u-again", "d-again")) {
                    again.nextOfType("sys_connected");
                    assertThat(first.nextOfType("sys_extrude_offline")).isNotNull();
                    assertThat(receiver.within(Duration.ofSeconds(3))).as("neither the extrusion's offline nor the online")
                            .isEmpty();
                }
                assertThat(receiver.next(2)).extracting(Call::summary).containsExactly(
                        "device_offline u-again d-again device_disconnect", "user_offline u-again d-again device_disconnect");
            }
        }
    }

    /** Returns the changes the Redis channels got, in order. */
    private static List<String> comeBackOnAnotherNode(boolean graceOnChannels) throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        List<String> channel = new CopyOnWriteArrayList<>();
        try (RedisServers redis = RedisServers.standalone(); WebhookReceiver receiver = WebhookReceiver.start()) {
            RedisClient client = RedisClient.create("redis://" + redis.first().address());
            try (StatefulRedisPubSubConnection<String, String> subscriber = subscribeToChanges(client, channel)) {
                Map<String, String> settings = new LinkedHashMap<>();
                settings.put("redis.addrs", redis.first().address());
                settings.put("callback.url", receiver.url("/hook"));
                settings.put("callback.offline_grace", "2");
                settings.put("callback.offline_grace_channels", Boolean.toString(graceOnChannels));
                try (TestNode a = TestNode.start(settings); TestNode b = TestNode.start(settings)) {
                    try (SseClient onA = a.connect("u-cgrace", "d-cgrace")) {
                        onA.nextOfType("sys_connected");
                        assertThat(receiver.next(2)).extracting(Call::event).containsExactly("user_online", "device_online");
                    }
                    await().atMost(Duration.ofSeconds(5)).until(() -> !a.api().get("/info", Map.of("device", "d-cgrace"))
                            .result().path("online").asBoolean());
                    SseClient onB = b.connect("u-cgrace", "d-cgrace");
                    onB.nextOfType("sys_connected");
                    assertThat(receiver.within(Duration.ofSeconds(3))).as("offline taken back by the online on B").isEmpty();
                    long closedAt = System.nanoTime();
                    onB.close();
                    assertThat(receiver.next(2)).extracting(Call::summary).containsExactly(
                            "device_offline u-cgrace d-cgrace device_disconnect", "user_offline u-cgrace d-cgrace device_disconnect");
                    assertThat(System.nanoTime() - closedAt).as("held for the grace")
                            .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(1900));
                    await().atMost(Duration.ofSeconds(5)).until(() -> channel.size() >= (graceOnChannels ? 4 : 8));
                }
            } finally {
                client.shutdown();
            }
        }
        return channel;
    }
}
