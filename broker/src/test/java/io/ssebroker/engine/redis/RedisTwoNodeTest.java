package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two broker nodes on one Redis behave as one service. */
class RedisTwoNodeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static RedisServers redis;
    private static TestNode a;
    private static TestNode b;
    private static RedisClient subscriberClient;
    private static StatefulRedisPubSubConnection<String, String> subscriber;
    private static final List<JsonNode> callbacks = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        redis = RedisServers.standalone();
        Map<String, String> settings = Map.of("redis.addrs", redis.first().address(), "sse.device_frame_cache_size", "50");
        a = TestNode.start(settings);
        b = TestNode.start(settings);
        subscriberClient = RedisClient.create("redis://" + redis.first().address());
        subscriber = subscriberClient.connectPubSub();
        subscriber.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                try {
                    JsonNode json = JSON.readTree(message);
                    ((com.fasterxml.jackson.databind.node.ObjectNode) json).put("channel", channel);
                    callbacks.add(json);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        subscriber.sync().subscribe("sse_topic_user_online", "sse_topic_user_offline", "sse_topic_device_online",
                "sse_topic_device_offline");
    }

    @AfterAll
    static void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        if (subscriber != null) {
            subscriber.close();
            subscriberClient.shutdown();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void aSendOnOneNodeReachesADeviceOnTheOther() {
        try (SseClient client = b.connect("u-cross", "d-cross")) {
            client.nextOfType("sys_connected");
            assertThat(a.api().send(Map.of("uid", "u-cross", "data", "from a"))).isEqualTo(1);
            assertThat(client.next().data()).isEqualTo("from a");
            assertThat(a.api().send(Map.of("device", "d-cross", "data", "to the device"))).isEqualTo(1);
            assertThat(client.next().data()).isEqualTo("to the device");
        }
    }

    @Test
    void broadcastsReachClientsOfEveryNode() {
        try (SseClient onA = a.connect("u-bc1", "d-bc1"); SseClient onB = b.connect("u-bc2", "d-bc2")) {
            onA.nextOfType("sys_connected");
            onB.nextOfType("sys_connected");
            assertThat(a.api().send(Map.of("data", "to everyone", "event", "news"))).isGreaterThanOrEqualTo(2);
            assertThat(onA.nextOfType("news").data()).isEqualTo("to everyone");
            assertThat(onB.nextOfType("news").data()).isEqualTo("to everyone");
        }
    }

    @Test
    void aCursorFromOneNodeReplaysOnTheOther() {
        String cursor;
        try (SseClient client = a.connect("u-replay", "d-replay")) {
            client.nextOfType("sys_connected");
            a.api().send(Map.of("uid", "u-replay", "data", "one"));
            cursor = client.next().id();
        }
        await().atMost(Duration.ofSeconds(5)).until(() ->
                !a.api().get("/info", Map.of("device", "d-replay")).result().path("online").asBoolean());
        a.api().send(Map.of("uid", "u-replay", "data", "two"));
        b.api().send(Map.of("device", "d-replay", "data", "three"));
        try (SseClient client = b.connect("u-replay", "d-replay", cursor)) {
            client.nextOfType("sys_connected");
            assertThat(client.next().data()).isEqualTo("two");
            assertThat(client.next().data()).isEqualTo("three");
        }
    }

    @Test
    void aConnectionOnOneNodeExtrudesTheSameDeviceOnTheOther() {
        SseClient first = a.connect("u-ex", "d-ex");
        String cursor = first.nextOfType("sys_connected").id();
        try (SseClient second = b.connect("u-ex", "d-ex")) {
            String secondAddress = second.nextOfType("sys_connected").data();
            List<Event> last = first.readUntilClosed(Duration.ofSeconds(10));
            assertThat(last).extracting(Event::event).containsExactly("sys_extrude_offline");
            assertThat(last.get(0).data()).isEqualTo(secondAddress);
            try (SseClient comeback = a.connect("u-ex", "d-ex", cursor)) {
                assertThat(comeback.status()).isEqualTo(204);
            }
            JsonNode info = a.api().get("/info", Map.of("device", "d-ex")).result();
            assertThat(info.path("instance_address").asText()).isEqualTo(b.nodeAddress());
        } finally {
            first.close();
        }
    }

    @Test
    void kickOnOneNodeEndsConnectionsOnBoth() {
        try (SseClient onA = a.connect("u-kick", "d-kick-a"); SseClient onB = b.connect("u-kick", "d-kick-b")) {
            onA.nextOfType("sys_connected");
            onB.nextOfType("sys_connected");
            assertThat(a.api().postForm("/kick", Map.of("uid", "u-kick", "data", "bye")).result().asInt()).isEqualTo(2);
            for (TestNode node : List.of(a, b)) {
                assertThat(node.api().get("/info", Map.of("uid", "u-kick")).result().path("online").asBoolean())
                        .as("the kick answers once both nodes' connections left presence").isFalse();
            }
            assertThat(onA.readUntilClosed(Duration.ofSeconds(10))).extracting(Event::event).containsExactly("sys_kick_offline");
            assertThat(onB.readUntilClosed(Duration.ofSeconds(10))).extracting(Event::event).containsExactly("sys_kick_offline");
        }
    }

    /**
     * A kick that lands while a connection of an earlier token is still being registered (after its revocation
     * check, before it is findable) must end it all the same, whichever node the kick is sent to.
     */
    @Test
    void aKickRacingAConnectNeverLeavesItOpen() {
        int ended = 0;
        for (int i = 0; i < 40; i++) {
            String uid = "u-kick-race-" + i;
            String device = "d-kick-race-" + i;
            String token = a.token(uid, device);
            // The kick revokes tokens issued before it, and one of its own millisecond is not: it comes in a later
            // one (minting and kicking can take less than a millisecond; a connection that reaches its node after
            // such a kick was done there is allowed, as its token is not older than the kick).
            long minted = System.currentTimeMillis();
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).until(() -> System.currentTimeMillis() > minted);
            CompletableFuture<SseClient> connecting = CompletableFuture.supplyAsync(() ->
                    SseClient.open(a, "/events?device=" + device, Map.of("X-SSE-TOKEN", token)));
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(ThreadLocalRandom.current().nextInt(4000)));
            (i % 2 == 0 ? a : b).api().postForm("/kick", Map.of("uid", uid, "data", "race"));
            try (SseClient client = connecting.join()) {
                if (client.status() == 200) {
                    assertThat(client.readUntilClosed(Duration.ofSeconds(10))).as("connection %d", i)
                            .extracting(Event::event).last().isEqualTo("sys_kick_offline");
                    ended++;
                } else {
                    assertThat(client.status()).as("connection %d", i).isEqualTo(204);
                }
            }
            for (TestNode node : List.of(a, b)) {
                await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).atMost(Duration.ofSeconds(5)).until(() ->
                        !node.api().get("/info", Map.of("uid", uid)).result().path("online").asBoolean());
            }
        }
        assertThat(ended).as("connections opened before their kick, and ended by it").isPositive();
    }

    /**
     * Two connections of one device opened at the same moment on the two nodes: however their registrations
     * interleave, exactly one stays and the other ends with {@code sys_extrude_offline}, even when the extrusion
     * reaches its node before that connection is findable there.
     */
    @Test
    void twoConnectionsOfOneDeviceAtOnceLeaveExactlyOne() {
        for (int i = 0; i < 30; i++) {
            String uid = "u-ex-race-" + i;
            String device = "d-ex-race-" + i;
            Map<String, String> onA = Map.of("X-SSE-TOKEN", a.token(uid, device));
            Map<String, String> onB = Map.of("X-SSE-TOKEN", b.token(uid, device));
            String path = "/events?device=" + device;
            CompletableFuture<SseClient> first = CompletableFuture.supplyAsync(() -> SseClient.open(a, path, onA));
            CompletableFuture<SseClient> second = CompletableFuture.supplyAsync(() -> SseClient.open(b, path, onB));
            try (SseClient clientA = first.join(); SseClient clientB = second.join()) {
                List<Event> eventsA = clientA.readFor(Duration.ofMillis(400));
                List<Event> eventsB = clientB.readFor(Duration.ofMillis(400));
                assertThat(List.of(clientA.isClosedByServer(), clientB.isClosedByServer())).as("connection %d", i)
                        .containsExactlyInAnyOrder(true, false);
                List<Event> ended = clientA.isClosedByServer() ? eventsA : eventsB;
                assertThat(ended).as("connection %d", i).extracting(Event::event).last().isEqualTo("sys_extrude_offline");
                TestNode survivor = clientA.isClosedByServer() ? b : a;
                assertThat(a.api().get("/info", Map.of("device", device)).result().path("instance_address").asText())
                        .isEqualTo(survivor.nodeAddress());
            }
        }
    }

    @Test
    void infoIsTheSameSeenFromEitherNode() {
        try (SseClient onA = a.connect("u-info", "d-info-a"); SseClient onB = b.connect("u-info", "d-info-b")) {
            onA.nextOfType("sys_connected");
            onB.nextOfType("sys_connected");
            for (TestNode node : List.of(a, b)) {
                JsonNode user = node.api().get("/info", Map.of("uid", "u-info")).result();
                assertThat(user.path("online").asBoolean()).isTrue();
                assertThat(user.path("devices")).hasSize(2);
                JsonNode cluster = node.api().get("/info", Map.of()).result();
                assertThat(cluster.path("instance_count").asInt()).isEqualTo(2);
                assertThat(node.api().get("/info", Map.of("address", b.nodeAddress())).result().path("online").asBoolean()).isTrue();
            }
        }
    }

    @Test
    void presenceCallbacksArePublishedOnceEachInOrder() {
        SseClient onA = a.connect("u-cb", "d-cb-a");
        onA.nextOfType("sys_connected");
        SseClient onB = b.connect("u-cb", "d-cb-b");
        onB.nextOfType("sys_connected");
        onA.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> ofUser("u-cb").size() >= 4);
        onB.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> ofUser("u-cb").size() >= 6);
        assertThat(ofUser("u-cb")).extracting(c -> c.path("channel").asText() + ":" + c.path("device").asText() + ":"
                        + c.path("reason").asText())
                .containsExactly(
                        "sse_topic_user_online:d-cb-a:device_connected",
                        "sse_topic_device_online:d-cb-a:device_connected",
                        "sse_topic_device_online:d-cb-b:device_connected",
                        "sse_topic_device_offline:d-cb-a:device_disconnect",
                        "sse_topic_device_offline:d-cb-b:device_disconnect",
                        "sse_topic_user_offline:d-cb-b:device_disconnect");
        assertThat(ofUser("u-cb").get(0).path("trigger_time").asText()).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d");
        // Each change names its event and the node that saw it (the scripts assemble it from the node's parts).
        assertThat(ofUser("u-cb")).extracting(c -> "sse_topic_" + c.path("payload").path("event").asText() + "@"
                        + c.path("payload").path("node").asText() + ":" + c.path("uid").asText())
                .containsExactly("sse_topic_user_online@" + a.nodeAddress() + ":u-cb",
                        "sse_topic_device_online@" + a.nodeAddress() + ":u-cb",
                        "sse_topic_device_online@" + b.nodeAddress() + ":u-cb",
                        "sse_topic_device_offline@" + a.nodeAddress() + ":u-cb",
                        "sse_topic_device_offline@" + b.nodeAddress() + ":u-cb",
                        "sse_topic_user_offline@" + b.nodeAddress() + ":u-cb");
    }

    @Test
    void withoutAWebhookTheChangesArePublishedButNotQueuedForOne() {
        SseClient client = a.connect("u-noq", "d-noq");
        client.nextOfType("sys_connected");
        client.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> ofUser("u-noq").size() >= 4);
        assertThat(ofUser("u-noq")).extracting(c -> c.path("channel").asText())
                .containsExactly("sse_topic_user_online", "sse_topic_device_online", "sse_topic_device_offline",
                        "sse_topic_user_offline");
        // Nothing takes an outbox on these nodes: none is written, nor any record of a taking.
        RedisKeys keys = new RedisKeys("sse");
        try (var connection = subscriberClient.connect()) {
            assertThat(connection.sync().exists(keys.userOutbox("u-noq"))).isZero();
            assertThat(connection.sync().keys(keys.userTaken("u-noq", "*"))).isEmpty();
        }
    }

    @Test
    void aMessageLostBetweenRedisAndTheNodeIsReadFromTheStream() {
        try (SseClient client = a.connect("u-gap", "d-gap")) {
            client.nextOfType("sys_connected");
            // An entry appended without its publish: exactly what a node sees when a publish is lost on the way.
            String id = redis.first().cli("XADD", "sse:{u:u-gap}:s", "*", "e", "", "v", "", "t",
                    Long.toString(System.currentTimeMillis()), "d", "lost on the way").trim();
            redis.first().cli("HSET", "sse:{u:u-gap}:m", "last", id);
            a.api().send(Map.of("uid", "u-gap", "data", "after the loss"));
            assertThat(client.next().data()).isEqualTo("lost on the way");
            assertThat(client.next().data()).isEqualTo("after the loss");
        }
    }

    @Test
    void aConnectionOnANodeBehindTheBroadcastStreamGetsWhatItCatchesUpOn() {
        // A broadcast appended without its publish: node a has not handed it on when the client connects there, and
        // the connection starts where a stands in the broadcast stream, before it.
        String id = redis.first().cli("XADD", "sse:{b}:s", "*", "e", "news", "v", "", "t",
                Long.toString(System.currentTimeMillis()), "d", "broadcast lost on the way").trim();
        redis.first().cli("HSET", "sse:{b}:m", "last", id);
        try (SseClient client = a.connect("u-bgap", "d-bgap")) {
            client.nextOfType("sys_connected");
            b.api().send(Map.of("data", "broadcast after the loss", "event", "news"));
            assertThat(client.nextOfType("news").data()).isEqualTo("broadcast lost on the way");
            assertThat(client.nextOfType("news").data()).isEqualTo("broadcast after the loss");
            assertThat(client.readFor(Duration.ofMillis(300))).noneMatch(event -> "news".equals(event.event()));
        }
    }

    @Test
    void devicesOfOneUserRacingOnTwoNodesGiveOneUserOnlineAndOneUserOffline() throws Exception {
        int rounds = 15;
        java.util.concurrent.ExecutorService racers = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < rounds; round++) {
                var onA = racers.submit(() -> a.connect("u-race2", "d-race-a"));
                var onB = racers.submit(() -> b.connect("u-race2", "d-race-b"));
                SseClient first = onA.get();
                SseClient second = onB.get();
                first.nextOfType("sys_connected");
                second.nextOfType("sys_connected");
                racers.submit(first::close).get();
                racers.submit(second::close).get();
                await().atMost(Duration.ofSeconds(5)).until(() ->
                        !a.api().get("/info", Map.of("uid", "u-race2")).result().path("online").asBoolean());
            }
        } finally {
            racers.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> count("u-race2", "sse_topic_user_offline") == rounds);
        assertThat(count("u-race2", "sse_topic_user_online")).isEqualTo(rounds);
        assertThat(count("u-race2", "sse_topic_device_online")).isEqualTo(2 * rounds);
        assertThat(count("u-race2", "sse_topic_device_offline")).isEqualTo(2 * rounds);
    }

    private static long count(String uid, String channel) {
        return ofUser(uid).stream().filter(c -> c.path("channel").asText().equals(channel)).count();
    }

    @Test
    void aGapThatWasTrimmedBeforeTheNodeCouldReadItIsAnnouncedWithAReset() {
        try (SseClient client = a.connect("u-trim", "d-trim")) {
            client.nextOfType("sys_connected");
            // Entries appended without their publishes, the first of them already trimmed away.
            String first = xadd("u-trim", "gone");
            xadd("u-trim", "kept 1");
            String last = xadd("u-trim", "kept 2");
            redis.first().cli("XDEL", "sse:{u:u-trim}:s", first);
            redis.first().cli("HSET", "sse:{u:u-trim}:m", "last", last, "cut", first);
            a.api().send(Map.of("uid", "u-trim", "data", "after the gap"));
            Event reset = client.next();
            assertThat(reset.event()).isEqualTo("sys_reset");
            assertThat(reset.data()).isEqualTo("expired");
            assertThat(client.next().data()).isEqualTo("kept 1");
            assertThat(client.next().data()).isEqualTo("kept 2");
            assertThat(client.next().data()).isEqualTo("after the gap");
        }
    }

    private static String xadd(String uid, String data) {
        return redis.first().cli("XADD", "sse:{u:" + uid + "}:s", "*", "e", "", "v", "", "t",
                Long.toString(System.currentTimeMillis()), "d", data).trim();
    }

    private static List<JsonNode> ofUser(String uid) {
        return callbacks.stream().filter(c -> c.path("uid").asText().equals(uid)).toList();
    }
}
