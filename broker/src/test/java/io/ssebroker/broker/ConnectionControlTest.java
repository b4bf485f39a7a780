package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ssebroker.testing.Api;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Extrusion, kick and the 204 that makes a native EventSource stop for good. */
class ConnectionControlTest {
    private static TestNode node;

    @BeforeAll
    static void start() throws InterruptedException {
        node = TestNode.start();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void aSecondConnectionOfADeviceExtrudesTheFirstWhichThenGets204() {
        SseClient first = node.connect("u-ex", "d-ex");
        String cursor = first.nextOfType("sys_connected").id();
        try (SseClient second = node.connect("u-ex", "d-ex")) {
            String secondAddress = second.nextOfType("sys_connected").data();
            List<Event> last = first.readUntilClosed(Duration.ofSeconds(5));
            assertThat(last).extracting(Event::event).containsExactly("sys_extrude_offline");
            assertThat(last.get(0).data()).isEqualTo(secondAddress);
            try (SseClient comeback = node.connect("u-ex", "d-ex", cursor)) {
                assertThat(comeback.status()).isEqualTo(204);
            }
            assertThat(node.api().send(Map.of("device", "d-ex", "data", "still here"))).isEqualTo(1);
            assertThat(second.next().data()).isEqualTo("still here");
        } finally {
            first.close();
        }
    }

    /**
     * A client whose connection was left half-open comes back with its cursor, and that new connection ends before
     * the client kept its first id (its answer lost on the way): the client comes back with the same cursor once more,
     * and is let in, not refused as the connection it replaced would be.
     */
    @Test
    void aClientThatCameBackWithItsCursorAndLostTheAnswerIsLetInAgain() {
        SseClient first = node.connect("u-lost", "d-lost");
        String cursor = first.nextOfType("sys_connected").id();
        try {
            try (SseClient second = node.connect("u-lost", "d-lost", cursor)) {
                second.nextOfType("sys_connected");
                assertThat(first.readUntilClosed(Duration.ofSeconds(5))).extracting(Event::event)
                        .containsExactly("sys_extrude_offline");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                try (SseClient again = node.connect("u-lost", "d-lost", cursor)) {
                    return again.status() == 200;
                }
            });
        } finally {
            first.close();
        }
    }

    @Test
    void kickEndsTheStreamsAndRefusesEarlierTokensAndCursorsWith204() {
        String token = node.token("u-kick", "d-kick");
        SseClient client = SseClient.open(node, "/events", Map.of("X-SSE-TOKEN", token));
        String cursor = client.nextOfType("sys_connected").id();
        // Tokens issued before the kick are refused, and one of the kick's own millisecond is not before it: the kick
        // comes in a later millisecond than the token (on a warm node, minting, connecting and kicking can take less).
        awaitNextMillisecond();
        Api.Answer kick = node.api().postForm("/kick", Map.of("uid", "u-kick", "data", "bye now"));
        assertThat(kick.result().asInt()).isEqualTo(1);
        List<Event> last = client.readUntilClosed(Duration.ofSeconds(5));
        assertThat(last).extracting(Event::event, Event::data).containsExactly(org.assertj.core.groups.Tuple.tuple("sys_kick_offline", "bye now"));
        client.close();
        try (SseClient again = SseClient.open(node, "/events", Map.of("X-SSE-TOKEN", token))) {
            assertThat(again.status()).isEqualTo(204);
        }
        String fresh = node.token("u-kick", "d-kick");
        try (SseClient withOldCursor = SseClient.open(node, "/events", Map.of("X-SSE-TOKEN", fresh, "Last-Event-ID", cursor))) {
            assertThat(withOldCursor.status()).isEqualTo(204);
        }
        try (SseClient freshClient = SseClient.open(node, "/events", Map.of("X-SSE-TOKEN", fresh))) {
            assertThat(freshClient.status()).isEqualTo(200);
            freshClient.nextOfType("sys_connected");
        }
    }

    @Test
    void kickByDeviceEndsOnlyThatDevice() {
        try (SseClient phone = node.connect("u-kd", "d-kd-phone"); SseClient tablet = node.connect("u-kd", "d-kd-tablet")) {
            phone.nextOfType("sys_connected");
            tablet.nextOfType("sys_connected");
            assertThat(phone.retry()).as("the reconnect delay comes with sys_connected").isEqualTo(3000);
            assertThat(node.api().postForm("/kick", Map.of("device", "d-kd-phone")).result().asInt()).isEqualTo(1);
            assertThat(node.api().get("/info", Map.of("device", "d-kd-phone")).result().path("online").asBoolean())
                    .as("the kick answers once the connection left presence").isFalse();
            assertThat(phone.readUntilClosed(Duration.ofSeconds(5))).extracting(Event::event).containsExactly("sys_kick_offline");
            assertThat(phone.retry()).as("a kicked client is told to wait a day").isEqualTo(86_400_000);
            assertThat(node.api().send(Map.of("uid", "u-kd", "data", "tablet stays"))).isEqualTo(1);
            assertThat(tablet.next().data()).isEqualTo("tablet stays");
        }
    }

    @Test
    void kickOfNobodyEndsNothing() {
        assertThat(node.api().postForm("/kick", Map.of("uid", "u-nobody")).result().asInt()).isZero();
    }

    @Test
    void presenceFollowsConnectAndDisconnect() {
        SseClient client = node.connect("u-pres", "d-pres");
        client.nextOfType("sys_connected");
        assertThat(node.api().get("/info", Map.of("device", "d-pres")).result().path("online").asBoolean()).isTrue();
        client.close();
        await().atMost(Duration.ofSeconds(5)).until(() ->
                !node.api().get("/info", Map.of("device", "d-pres")).result().path("online").asBoolean());
        assertThat(node.api().get("/info", Map.of("uid", "u-pres")).result().path("online").asBoolean()).isFalse();
    }

    private static void awaitNextMillisecond() {
        long now = System.currentTimeMillis();
        await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).until(() -> System.currentTimeMillis() > now);
    }
}
