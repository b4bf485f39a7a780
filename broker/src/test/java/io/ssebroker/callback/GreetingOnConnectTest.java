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
import io.ssebroker.testing.WebhookReceiver.Call;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The main use of the device-online callback: the backend greets the device that just connected. The greeting is
 * sent after the device counts as online, so it must reach the new connection, every time, whichever engine and
 * whichever kind of callback (webhook, or the go-sse-broker Redis channels), with the connection on one node and
 * the greeting sent through another.
 */
class GreetingOnConnectTest {
    private static final int DEVICES = 100;
    private static final Pattern REDIRECTIONS = Pattern.compile("errorstat_(?:MOVED|ASK|TRYAGAIN):count=(\\d+)");

    @Test
    void everyGreetingSentOnTheDeviceOnlineWebhookArrivesWithTheMemoryEngine() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            try (TestNode node = TestNode.start(Map.of("callback.device_online", receiver.url("/online")))) {
                Greeter greeter = new Greeter(node.api());
                receiver.answerWith(greeter.onWebhook());
                connectAndExpectGreetings(node, greeter);
            }
        }
    }

    @Test
    void everyGreetingSentOnTheDeviceOnlineWebhookArrivesWithTheRedisEngine() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            greetingsArriveOnRedis(redis, () -> { });
        }
    }

    @Test
    void everyGreetingSentOnTheDeviceOnlineWebhookArrivesOnARedisCluster() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.cluster()) {
            greetingsArriveOnRedis(redis, () -> { });
        }
    }

    /**
     * The same while the slots of some users' keys and devices' owners move between masters, one after the other, as
     * {@code redis-cli --cluster reshard} moves them: registrations, the changes' outboxes and the greetings' sends
     * meet MOVED, ASK and TRYAGAIN. The devices connect again, round after round, until every slot has moved, and once
     * more after.
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
            long redirectedBefore = redirections(redis);
            greetingsArriveOnRedis(redis, () -> {
                List<RedisServers.Server> masters = redis.servers();
                for (int slot : slots) {
                    RedisServers.Server to = masters.get((masters.indexOf(redis.ownerOf(slot)) + 1) % masters.size());
                    redis.migrateSlot(slot, to);
                    assertThat(redis.ownerOf(slot)).as("slot %d moved", slot).isSameAs(to);
                }
            });
            assertThat(redirections(redis) - redirectedBefore).as("commands redirected while the slots moved")
                    .isPositive();
        }
    }

    /**
     * Devices connect to one node of two on {@code redis} while the webhook (both nodes post to it, as a cluster's
     * nodes share their callback settings) greets each through the other node; rounds of the same devices go on until
     * {@code meanwhile}, run beside them, is done, and one more after.
     */
    private static void greetingsArriveOnRedis(RedisServers redis, Runnable meanwhile) throws Exception {
        ExecutorService beside = Executors.newSingleThreadExecutor();
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            Map<String, String> settings = Map.of("redis.addrs", String.join(",", redis.addresses()),
                    "callback.device_online", receiver.url("/online"));
            try (TestNode sender = TestNode.start(settings); TestNode node = TestNode.start(settings)) {
                Greeter greeter = new Greeter(sender.api());
                receiver.answerWith(greeter.onWebhook());
                Future<?> running = beside.submit(meanwhile);
                do {
                    connectAndExpectGreetings(node, greeter);
                } while (!running.isDone());
                running.get();
                connectAndExpectGreetings(node, greeter);
            }
        } finally {
            beside.shutdownNow();
            assertThat(beside.awaitTermination(30, TimeUnit.SECONDS)).as("the work beside the rounds ended").isTrue();
        }
    }

    /** The redirections the masters answered since they started (MOVED, ASK, TRYAGAIN; INFO errorstats). */
    private static long redirections(RedisServers redis) {
        long count = 0;
        for (RedisServers.Server server : redis.servers()) {
            Matcher counted = REDIRECTIONS.matcher(server.cli("INFO", "errorstats"));
            while (counted.find()) {
                count += Long.parseLong(counted.group(1));
            }
        }
        return count;
    }

    @Test
    void everyGreetingSentOnTheDeviceOnlineRedisChannelArrives() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            Map<String, String> settings = Map.of("redis.addrs", redis.first().address());
            RedisClient client = RedisClient.create("redis://" + redis.first().address());
            ExecutorService greeting = Executors.newSingleThreadExecutor();
            try (TestNode sender = TestNode.start(settings); TestNode node = TestNode.start(settings);
                 StatefulRedisPubSubConnection<String, String> channel = client.connectPubSub()) {
                Greeter greeter = new Greeter(sender.api());
                channel.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(String name, String json) {
                        String device = json.replaceFirst(".*\"device\":\"([^\"]+)\".*", "$1");
                        greeting.execute(() -> greeter.greet(device));
                    }
                });
                channel.sync().subscribe("sse_topic_device_online");
                connectAndExpectGreetings(node, greeter);
            } finally {
                greeting.shutdownNow();
                client.shutdown();
            }
        }
    }

    /**
     * The backend's side: greets a device through a node's API with a text that names the round of connects, so that
     * a greeting late from an earlier round is not taken for this one's; a greeting refused or not counted online is
     * a failure of its own, not retried.
     */
    private static final class Greeter {
        private final Api api;
        private final List<String> failures = new CopyOnWriteArrayList<>();
        private volatile int round;

        Greeter(Api api) {
            this.api = api;
        }

        ToIntFunction<Call> onWebhook() {
            return call -> {
                greet(call.device());
                return 200;
            };
        }

        void greet(String device) {
            try {
                int counted = api.send(Map.of("device", device, "data", text(device)));
                if (counted != 1) {
                    failures.add(device + " counted on " + counted + " devices in round " + round);
                }
            } catch (RuntimeException e) {
                failures.add(device + " in round " + round + ": " + e.getMessage());
            }
        }

        String text(String device) {
            return "hello " + device + " in round " + round;
        }

        /** Called by the test's thread alone, between rounds. */
        void nextRound() {
            round = round + 1;
        }
    }

    /**
     * The devices connect ten at a time; each must get this round's greeting as its first message after
     * sys_connected.
     */
    private static void connectAndExpectGreetings(TestNode node, Greeter greeter) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try {
            List<Future<String>> results = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < DEVICES; i++) {
                String device = "d-greet-" + i;
                expected.add(greeter.text(device));
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
            assertThat(greeter.failures).as("greetings refused or not counted online").isEmpty();
            assertThat(greetings).containsExactlyElementsOf(expected);
            greeter.nextRound();
        } finally {
            pool.shutdownNow();
        }
    }
}
