package io.ssebroker.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ssebroker.testing.Api;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code /send} with an idempotency key (a retry answers the first result and delivers nothing more, on any node)
 * and batches (an array of messages, one result each).
 */
class IdempotentAndBatchSendTest {

    @Test
    void aRepeatedKeyAnswersTheFirstResultAndDeliversOnceWithTheMemoryEngine() throws Exception {
        try (TestNode node = TestNode.start()) {
            assertIdempotent(node, node);
        }
    }

    @Test
    void aSendRetriedOnAnotherNodeWithItsKeyIsDeliveredOnce() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            Map<String, String> settings = Map.of("redis.addrs", redis.first().address());
            try (TestNode a = TestNode.start(settings); TestNode b = TestNode.start(settings)) {
                assertIdempotent(a, b);
            }
        }
    }

    @Test
    void theKeyNamesTheSendNotItsTargetsWithTheMemoryEngine() throws Exception {
        try (TestNode node = TestNode.start()) {
            assertTheKeyNamesTheSend(node, node);
        }
    }

    @Test
    void theKeyNamesTheSendNotItsTargetsAcrossRedisNodes() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            Map<String, String> settings = Map.of("redis.addrs", redis.first().address());
            try (TestNode a = TestNode.start(settings); TestNode b = TestNode.start(settings)) {
                assertTheKeyNamesTheSend(a, b);
            }
        }
    }

    /**
     * A broadcast whose devices could not be counted (here, one node of the cluster has an index that cannot be read)
     * is accepted and answers 0. That answer is not kept for its key: a repeat counts the devices again, and appends
     * nothing more.
     */
    @Test
    void aKeyedBroadcastWhoseDevicesCouldNotBeCountedIsCountedAgainByItsRepeat() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address()));
             SseClient client = node.connect("u-counted", "d-counted")) {
            client.nextOfType("sys_connected");
            redis.first().cli("SET", "sse:node:uncountable", "{}", "PX", "60000"); // beating: no node clears it
            redis.first().cli("SADD", "sse:nodes", "uncountable");
            redis.first().cli("SET", "sse:{n:uncountable}:d", "not an index of devices");
            Map<String, String> keyed = Map.of("data", "to all", "idempotency_key", "k-uncounted");

            assertThat(node.api().send(keyed)).isZero();
            assertThat(client.next().data()).isEqualTo("to all");
            redis.first().cli("DEL", "sse:{n:uncountable}:d");
            assertThat(node.api().send(keyed)).isEqualTo(1);
            assertThat(node.api().send(keyed)).as("counted: kept for the key").isEqualTo(1);
            node.api().send(Map.of("data", "after"));
            assertThat(client.next().data()).as("the repeats appended nothing").isEqualTo("after");
        }
    }

    @Test
    void aBatchOfAThousandMessagesAnswersOneResultEachWithTheMemoryEngine() throws Exception {
        try (TestNode node = TestNode.start()) {
            assertBatch(node);
        }
    }

    @Test
    void aBatchOfAThousandMessagesAnswersOneResultEachWithTheRedisEngine() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address()))) {
            assertBatch(node);
        }
    }

    /** A batch of which nothing was accepted (Redis unreachable) is no success: 503, as for a single message. */
    @Test
    void aBatchRefusedWholeForNowAnswers503() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.timeout", "1"))) {
            redis.first().kill();
            Api.Answer refused = node.api().postJson("/send", List.of(Map.of("uid", "u-a", "data", "a"),
                    Map.of("uid", "u-b", "data", "b")));
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.code()).isEqualTo(503);
            assertThat(refused.msg()).startsWith("no message of the batch was accepted: engine unavailable");

            Api.Answer mixed = node.api().postJson("/send", List.of(Map.of("uid", "u-a", "data", "a"), Map.of("uid", "u-b")));
            assertThat(mixed.status()).as("one item refused for its own fault").isEqualTo(200);
            assertThat(mixed.result()).extracting(item -> item.path("code").asInt()).containsExactly(503, 400);
        }
    }

    @Test
    void aBatchIsDeliveredInItsOrderWithTheMemoryEngine() throws Exception {
        try (TestNode node = TestNode.start()) {
            assertBatchOrder(node);
        }
    }

    /**
     * The Redis engine publishes a keyed message after a look for its key's result, and a message to a device after
     * a look for the device's owner: a later message of the batch to the same user must not overtake them.
     */
    @Test
    void aBatchIsDeliveredInItsOrderWithTheRedisEngine() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address()))) {
            assertBatchOrder(node);
        }
    }

    @Test
    void aKeyRepeatedInABatchIsDeliveredOnceWithTheMemoryEngine() throws Exception {
        try (TestNode node = TestNode.start()) {
            assertKeyRepeatedInABatch(node);
        }
    }

    /** The Redis engine looks for a key's result before it publishes: the repeat waits for the first to be done. */
    @Test
    void aKeyRepeatedInABatchIsDeliveredOnceWithTheRedisEngine() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address()))) {
            assertKeyRepeatedInABatch(node);
        }
    }

    /** Two items of one batch with one key, to two users: the second answers the first's result, delivers nothing. */
    private static void assertKeyRepeatedInABatch(TestNode node) {
        try (SseClient first = node.connect("u-key-1", "d-key-1"); SseClient second = node.connect("u-key-2", "d-key-2")) {
            first.nextOfType("sys_connected");
            second.nextOfType("sys_connected");
            Api.Answer answer = node.api().postJson("/send", List.of(
                    Map.of("uid", "u-key-1", "data", "once", "idempotency_key", "k-batch"),
                    Map.of("uid", "u-key-2", "data", "twice?", "idempotency_key", "k-batch")));
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.result()).extracting(item -> item.path("result").asInt()).containsExactly(1, 1);
            assertThat(first.next(Duration.ofSeconds(5)).data()).isEqualTo("once");
            node.api().send(Map.of("uid", "u-key-2", "data", "after"));
            assertThat(second.next(Duration.ofSeconds(5)).data()).as("the repeat delivered nothing").isEqualTo("after");
        }
    }

    private static void assertBatchOrder(TestNode node) throws Exception {
        try (SseClient client = node.connect("u-order", "d-order")) {
            client.nextOfType("sys_connected");
            List<Map<String, Object>> items = List.of(
                    Map.of("uid", List.of("u-order"), "data", "first", "idempotency_key", "order-1"),
                    Map.of("uid", List.of("u-order"), "data", "second"),
                    Map.of("device", List.of("d-order"), "data", "third"),
                    Map.of("uid", List.of("u-order", "u-other"), "data", "fourth"),
                    Map.of("uid", List.of("u-other"), "data", "elsewhere"),
                    Map.of("device", List.of("d-order"), "data", "fifth", "idempotency_key", "order-5"),
                    Map.of("uid", List.of("u-order"), "data", "sixth"));
            assertThat(node.api().postJson("/send", items).status()).isEqualTo(200);
            List<String> received = new ArrayList<>();
            while (received.size() < 6) {
                received.add(client.next(Duration.ofSeconds(10)).data());
            }
            assertThat(received).containsExactly("first", "second", "third", "fourth", "fifth", "sixth");
        }
    }

    @Test
    void aBatchTakesTheTargetsOfItsQueryStringRatherThanBroadcasting() throws Exception {
        try (TestNode node = TestNode.start();
             SseClient alice = node.connect("alice", "alice-phone");
             SseClient bob = node.connect("bob", "bob-phone")) {
            alice.nextOfType("sys_connected");
            bob.nextOfType("sys_connected");
            Api.Answer answer = node.api().postJson("/send?uid=alice", "[{\"data\": \"for alice\"}, {\"data\": \"for bob\", \"uid\": \"bob\"}]");
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.result()).extracting(item -> item.path("result").asInt()).containsExactly(1, 1);
            assertThat(alice.next(Duration.ofSeconds(5)).data()).isEqualTo("for alice");
            assertThat(bob.next(Duration.ofSeconds(5)).data()).as("the query's uid was not a broadcast").isEqualTo("for bob");
            node.api().send(Map.of("uid", "alice", "data", "after"));
            assertThat(alice.next(Duration.ofSeconds(5)).data()).isEqualTo("after");
        }
    }

    @Test
    void aBatchCountsTheTargetsOfAllItsMessagesAgainstTheBound() throws Exception {
        try (TestNode node = TestNode.start(Map.of("limits.max_targets", "10"));
             SseClient alice = node.connect("alice", "alice-phone")) {
            alice.nextOfType("sys_connected");
            String fiveUsers = "/send?uid=alice,u2,u3,u4,u5";
            Api.Answer over = node.api().postJson(fiveUsers, "[{\"data\": \"a\"}, {\"data\": \"b\"}, {\"data\": \"c\"}]");
            assertThat(over.status()).isEqualTo(413);
            assertThat(over.msg()).isEqualTo("body: the batch's messages have 15 targets together (uids plus devices,"
                    + " a broadcast counting one); at most 10 (limits.max_targets)");
            Api.Answer broadcasts = node.api().postJson("/send",
                    "[" + String.join(", ", Collections.nCopies(11, "{\"data\": \"everyone\"}")) + "]");
            assertThat(broadcasts.status()).as("each broadcast counts one").isEqualTo(413);
            Api.Answer refusedItem = node.api().postJson(fiveUsers,
                    "[{\"data\": \"d\"}, {\"data\": \"e\"}, {\"data\": \"f\", \"event\": \"sys_forged\"}]");
            assertThat(refusedItem.status()).as("a refused item counts nothing").isEqualTo(200);
            assertThat(refusedItem.result()).extracting(item -> item.path("code").asInt()).containsExactly(1, 1, 400);
            assertThat(alice.next(Duration.ofSeconds(5)).data()).as("nothing of the refused batches was delivered")
                    .isEqualTo("d");
            assertThat(alice.next(Duration.ofSeconds(5)).data()).isEqualTo("e");
        }
    }

    @Test
    void onlySendTakesAnArray() throws Exception {
        try (TestNode node = TestNode.start()) {
            Api.Answer kick = node.api().postJson("/kick", "[{\"uid\": \"u\"}]");
            assertThat(kick.status()).isEqualTo(400);
            assertThat(node.api().postJson("/send", "[]").status()).isEqualTo(400);
            assertThat(node.api().postJson("/send", "[1]").msg()).contains("item 0");
            Api.Answer header = node.api().post("/send", "application/json", "[{\"data\": \"x\"}]",
                    Map.of("Idempotency-Key", "k"));
            assertThat(header.status()).isEqualTo(400);
            assertThat(header.msg()).contains("idempotency_key");
        }
    }

    @Test
    void aSendWithTwoKeysIsRefusedRatherThanKeyedByOne() throws Exception {
        try (TestNode node = TestNode.start(); SseClient client = node.connect("u-keys", "d-keys")) {
            client.nextOfType("sys_connected");
            Api.Answer repeated = node.api().post("/send", "application/x-www-form-urlencoded",
                    "uid=u-keys&data=x&idempotency_key=a&idempotency_key=b", Map.of());
            assertThat(repeated.status()).isEqualTo(400);
            assertThat(repeated.msg()).isEqualTo("idempotency_key: give one value, not a list");
            Api.Answer differing = node.api().post("/send", "application/x-www-form-urlencoded",
                    "uid=u-keys&data=y&idempotency_key=a", Map.of("Idempotency-Key", "b"));
            assertThat(differing.status()).isEqualTo(400);
            assertThat(differing.msg()).contains("Idempotency-Key");
            Api.Answer agreeing = node.api().post("/send", "application/x-www-form-urlencoded",
                    "uid=u-keys&data=z&idempotency_key=a", Map.of("Idempotency-Key", "a"));
            assertThat(agreeing.status()).isEqualTo(200);
            assertThat(client.next().data()).as("nothing of the refused sends was delivered").isEqualTo("z");
        }
    }

    private static void assertIdempotent(TestNode sender, TestNode retrier) throws Exception {
        try (SseClient client = sender.connect("u-idem", "d-idem")) {
            client.nextOfType("sys_connected");
            Map<String, String> send = Map.of("uid", "u-idem", "data", "once", "idempotency_key", "order-42");
            assertThat(sender.api().send(send)).isEqualTo(1);
            assertThat(client.next().data()).isEqualTo("once");
            client.close();
            assertThat(retrier.api().send(send)).as("the first result, though the device is offline now").isEqualTo(1);
            Api.Answer header = retrier.api().post("/send", "application/x-www-form-urlencoded",
                    Api.form(Map.of("uid", "u-idem", "data", "by header")), Map.of("Idempotency-Key", "order-43"));
            assertThat(header.status()).isEqualTo(200);
            retrier.api().post("/send", "application/x-www-form-urlencoded",
                    Api.form(Map.of("uid", "u-idem", "data", "by header")), Map.of("Idempotency-Key", "order-43"));
            retrier.api().send(Map.of("uid", "u-idem", "data", "last"));
            try (SseClient back = retrier.connect("u-idem", "d-idem", client.lastEventId())) {
                back.nextOfType("sys_connected");
                List<String> replayed = new ArrayList<>();
                for (Event event = back.next(); !event.data().equals("last"); event = back.next()) {
                    replayed.add(event.data());
                }
                assertThat(replayed).containsExactly("by header");
            }
        }
    }

    /**
     * A repeat is answered the first result and delivers nothing, though its targets resolve to others now: the
     * device moved to another user, the repeat names other targets, more devices are online for a broadcast.
     */
    private static void assertTheKeyNamesTheSend(TestNode sender, TestNode retrier) throws Exception {
        Map<String, String> toDevice = Map.of("device", "d-moving", "data", "to the device", "idempotency_key", "move-1");
        try (SseClient first = sender.connect("u-first", "d-moving")) {
            first.nextOfType("sys_connected");
            assertThat(sender.api().send(toDevice)).isEqualTo(1);
            assertThat(first.next().data()).isEqualTo("to the device");
        }
        try (SseClient moved = retrier.connect("u-second", "d-moving")) {
            moved.nextOfType("sys_connected");
            assertThat(retrier.api().send(toDevice)).as("the device is another user's now").isEqualTo(1);
            assertThat(retrier.api().send(Map.of("uid", "u-second", "data", "other targets", "idempotency_key", "move-1")))
                    .as("the same key with other targets").isEqualTo(1);
            Map<String, String> toEveryone = Map.of("data", "to everyone", "idempotency_key", "everyone-1");
            int online = sender.api().send(toEveryone);
            assertThat(moved.next().data()).isEqualTo("to everyone");
            try (SseClient another = sender.connect("u-third", "d-third")) {
                another.nextOfType("sys_connected");
                assertThat(retrier.api().send(toEveryone)).as("the devices online when it was first sent").isEqualTo(online);
                retrier.api().send(Map.of("uid", "u-second", "data", "last"));
                assertThat(moved.next().data()).as("nothing repeated came before").isEqualTo("last");
            }
        }
    }

    private static void assertBatch(TestNode node) throws Exception {
        try (SseClient client = node.connect("u-batch-0", "d-batch-0")) {
            client.nextOfType("sys_connected");
            List<Map<String, Object>> items = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                Map<String, Object> item = new LinkedHashMap<>();
                if (i != 500) {
                    item.put("uid", List.of("u-batch-" + (i % 10)));
                }
                item.put("data", "m" + i);
                item.put("idempotency_key", "batch-" + i);
                if (i == 7) {
                    item.put("event", "sys_forged");
                }
                if (i == 3) {
                    item.put("data", Map.of("text", "m3"));
                }
                items.add(item);
            }
            Api.Answer answer = node.api().postJson("/send", items);
            assertThat(answer.status()).isEqualTo(200);
            JsonNode results = answer.result();
            assertThat(results).hasSize(1000);
            assertThat(results.get(7).path("code").asInt()).isEqualTo(400);
            assertThat(results.get(7).path("msg").asText()).contains("item 7").contains("reserved");
            assertThat(results.get(3).path("code").asInt()).as("a malformed item is answered alone").isEqualTo(400);
            assertThat(results.get(3).path("msg").asText()).startsWith("item 3: data: must be a string");
            assertThat(results.get(0).path("code").asInt()).isEqualTo(1);
            assertThat(results.get(0).path("result").asInt()).isEqualTo(1);
            assertThat(results.get(10).path("result").asInt()).isEqualTo(1);
            assertThat(results.get(1).path("result").asInt()).isZero();
            assertThat(results.get(500).path("code").asInt()).as("an item without targets is a broadcast").isEqualTo(1);
            List<String> received = new ArrayList<>();
            while (received.size() < 100) { // items 0, 10, ..., 990 (500 as a broadcast)
                received.add(client.next(Duration.ofSeconds(10)).data());
            }
            assertThat(received).contains("m0", "m10", "m500", "m990").doesNotContain("m7").doesNotHaveDuplicates();
            Api.Answer again = node.api().postJson("/send", items);
            assertThat(again.result().get(0).path("result").asInt()).isEqualTo(1);
            node.api().send(Map.of("uid", "u-batch-0", "data", "after the repeat"));
            assertThat(client.next(Duration.ofSeconds(10)).data()).as("the repeated batch delivered nothing")
                    .isEqualTo("after the repeat");
        }
    }
}
