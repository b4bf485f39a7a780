package io.ssebroker.callback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.ssebroker.testing.Api;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.TestNode;
import io.ssebroker.testing.WebhookReceiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The main use of the device-online callback: the backend greets the device that just connected. The greeting is
 * sent after the device counts as online, so it must reach the new connection, every time, whichever engine and
 * whichever kind of callback (webhook, or the go-sse-broker Redis channels), with the connection on one node and
 * the greeting sent through another.
 */
class GreetingOnConnectTest {
    private static final int DEVICES = 100;

    @Test
    void everyGreetingSentOnTheDeviceOnlineWebhookArrivesWithTheMemoryEngine() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            try (TestNode node = TestNode.start(Map.of("callback.device_online", receiver.url("/online")))) {
                receiver.answerWith(greetOnWebhook(node.api()));
                connectAndExpectGreetings(node);
            }
        }
    }

    @Test
    void everyGreetingSentOnTheDeviceOnlineWebhookArrivesWithTheRedisEngine() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone(); WebhookReceiver receiver = WebhookReceiver.start()) {
            Map<String, String> settings = new LinkedHashMap<>(Map.of("redis.addrs", redis.first().address()));
            try (TestNode sender = TestNode.start(settings)) {
                settings.put("callback.device_online", receiver.url("/online"));
                try (TestNode node = TestNode.start(settings)) {
                    receiver.answerWith(greetOnWebhook(sender.api()));
                    connectAndExpectGreetings(node);
                }
            }
        }
    }

    @Test
    void everyGreetingSentOnTheDeviceOnlineWebhookArrivesOnARedisCluster() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            greetingsArriveOnCluster(redis, () -> { });
        }
    }

    /**
     * The same while the slots of some users' keys and devices' owners move between masters, one after the other:
     * registrations, the changes' outboxes and the greetings' sends meet MOVED and ASK. The devices connect again,
     * round after round, until every slot has moved.
     */
    @Test
    void everyGreetingSentOnTheDeviceOnlineWebhookArrivesOnARedisClusterWhileSlotsMove() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            List<Integer> slots = new ArrayList<>();
            for (int i = 0; i < DEVICES; i += 20) {
                String device = "d-greet-" + i;
                slots.add(redis.slotOf("{u:u-greet-" + device + "}"));
                slots.add(redis.slotOf("{d:" + device + "}"));
            }
            greetingsArriveOnCluster(redis, () -> {
                List<RedisServers.Server> masters = redis.servers();
                for (int slot : slots) {
                    RedisServers.Server owner = redis.ownerOf(slot);
                    redis.migrateSlot(slot, masters.get((masters.indexOf(owner) + 1) % masters.size()));
                }
            });
        }
    }

    /**
     * Devices connect to one node while the webhook (both nodes post to it, as a cluster's nodes share their callback
     * settings) greets each through the other node; rounds of the same devices go on until {@code meanwhile}, run
     * beside them, is done.
     */
    private static void greetingsArriveOnCluster(RedisServers redis, Runnable meanwhile) throws Exception {
        ExecutorService beside = Executors.newSingleThreadExecutor();
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            Map<String, String> settings = Map.of("redis.addrs", String.join(",", redis.addresses()),
                    "callback.device_online", receiver.url("/online"));
            try (TestNode sender = TestNode.start(settings); TestNode node = TestNode.start(settings)) {
                receiver.answerWith(greetOnWebhook(sender.api()));
                Future<?> running = beside.submit(meanwhile);
                do {
                    connectAndExpectGreetings(node);
                } while (!running.isDone());
                running.get();
            }
        } finally {
            beside.shutdownNow();
        }
    }

    @Test
    void everyGreetingSentOnTheDeviceOnlineRedisChannelArrives() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            Map<String, String> settings = Map.of("redis.addrs", redis.first().address());
            RedisClient client = RedisClient.create("redis://" + redis.first().address());
            ExecutorService greeter = Executors.newSingleThreadExecutor();
            List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            try (TestNode sender = TestNode.start(settings); TestNode node = TestNode.start(settings);
                 StatefulRedisPubSubConnection<String, String> channel = client.connectPubSub()) {
                channel.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(String name, String json) {
                        String device = json.replaceFirst(".*\"device\":\"([^\"]+)\".*", "$1");
                        greeter.execute(() -> {
                            try {
                                greet(sender.api(), device);
                            } catch (RuntimeException | AssertionError e) {
                                failures.add(device + ": " + e.getMessage());
                            }
                        });
                    }
                });
                channel.sync().subscribe("sse_topic_device_online");
                connectAndExpectGreetings(node);
                assertThat(failures).as("greetings refused or counted offline").isEmpty();
            } finally {
                greeter.shutdownNow();
                client.shutdown();
            }
        }
    }

    private static java.util.function.ToIntFunction<WebhookReceiver.Call> greetOnWebhook(Api api) {
        return call -> {
            greet(api, call.device());
            return 200;
        };
    }

    private static void greet(Api api, String device) {
        assertThat(api.send(Map.of("device", device, "data", "hello " + device))).as("greeting counted online").isEqualTo(1);
    }

    /** Fresh devices connect ten at a time; each must get its greeting as the first message after sys_connected. */
    private static void connectAndExpectGreetings(TestNode node) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < DEVICES; i++) {
                String device = "d-greet-" + i;
                results.add(pool.submit(() -> {
                    try (SseClient client = node.connect("u-greet-" + device, device)) {
                        client.nextOfType("sys_connected");
                        Event greeting = client.next(Duration.ofSeconds(10));
                        return greeting == null ? "nothing for " + device : greeting.data();
                    }
                }));
            }
            List<String> greetings = new ArrayList<>();
            for (Future<String> result : results) {
                greetings.add(result.get());
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < DEVICES; i++) {
                expected.add("hello d-greet-" + i);
            }
            assertThat(greetings).containsExactlyElementsOf(expected);
        } finally {
            pool.shutdownNow();
        }
    }
}
