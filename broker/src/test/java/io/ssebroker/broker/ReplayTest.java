package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reconnecting with a cursor: what was missed is replayed once, in order; a gap is always announced. */
class ReplayTest {
    private static TestNode node;

    @BeforeAll
    static void start() throws InterruptedException {
        node = TestNode.start(Map.of("sse.device_frame_cache_size", "5"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static List<String> data(SseClient client, int count) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(client.next().data());
        }
        return out;
    }

    /**
     * A replay far larger than the unsent-bytes cap is written as the client reads it: the client is not dropped as
     * too slow, and gets every message once, then the live ones sent while it was still reading the replay (more than
     * the cap again, written at the same pace), then the live ones after.
     */
    @Test
    void aReplayLargerThanTheUnsentCapIsWrittenAsTheClientReadsIt() throws Exception {
        try (TestNode small = TestNode.start(Map.of("sse.device_frame_cache_size", "200",
                "limits.max_unsent_bytes", "16384"))) {
            String cursor;
            try (SseClient client = small.connect("u-paced", "d-paced")) {
                cursor = client.nextOfType("sys_connected").id();
            }
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    !small.api().get("/info", Map.of("device", "d-paced")).result().path("online").asBoolean());
            String padding = "x".repeat(4000);
            for (int i = 0; i < 200; i++) {
                small.api().send(Map.of("uid", "u-paced", "data", i + " " + padding));
            }
            try (SseClient client = small.connect("u-paced", "d-paced", cursor)) {
                client.nextOfType("sys_connected");
                Thread.sleep(500); // reads nothing for a while: 800 KB of replay against a 16 KB cap
                for (int i = 0; i < 30; i++) {
                    small.api().send(Map.of("uid", "u-paced", "data", "live " + i + " " + padding));
                }
                for (int i = 0; i < 200; i++) {
                    assertThat(client.next().data()).startsWith(i + " ");
                }
                for (int i = 0; i < 30; i++) {
                    assertThat(client.next().data()).startsWith("live " + i + " ");
                }
                small.api().send(Map.of("uid", "u-paced", "data", "after"));
                assertThat(client.next().data()).isEqualTo("after");
                assertThat(client.isClosedByServer()).isFalse();
            }
        }
    }

    @Test
    void messagesSentWhileOfflineAreReplayedWithTheCursor() {
        String cursor;
        try (SseClient client = node.connect("u-replay", "d-replay")) {
            client.nextOfType("sys_connected");
            node.api().send(Map.of("uid", "u-replay", "data", "one"));
            cursor = client.next().id();
        }
        await().atMost(Duration.ofSeconds(5)).until(() ->
                !node.api().get("/info", Map.of("device", "d-replay")).result().path("online").asBoolean());
        assertThat(node.api().send(Map.of("uid", "u-replay", "data", "two"))).isZero();
        node.api().send(Map.of("data", "broadcast three"));
        node.api().send(Map.of("device", "d-replay", "data", "four"));
        node.api().send(Map.of("device", "d-other-of-nobody", "data", "not for us"));
        try (SseClient client = node.connect("u-replay", "d-replay", cursor)) {
            Event connected = client.next();
            assertThat(connected.event()).isEqualTo("sys_connected");
            assertThat(data(client, 3)).containsExactly("two", "broadcast three", "four");
            node.api().send(Map.of("uid", "u-replay", "data", "live five"));
            assertThat(client.next().data()).isEqualTo("live five");
        }
    }

    @Test
    void cursorIsReadFromLastEventIdThenXSseIdThenQuery() {
        String early;
        String late;
        try (SseClient client = node.connect("u-prec", "d-prec")) {
            early = client.nextOfType("sys_connected").id();
            node.api().send(Map.of("uid", "u-prec", "data", "a"));
            late = client.next().id();
        }
        // Each connection below reuses the first one's cursors: it must not replace a connection still open, whose
        // cursors would then be refused as those of an extruded connection.
        node.awaitOffline("d-prec");
        node.api().send(Map.of("uid", "u-prec", "data", "b"));
        String token = node.token("u-prec", "d-prec");
        try (SseClient client = SseClient.open(node, "/events?device=d-prec&id=" + early,
                Map.of("X-SSE-TOKEN", token, "Last-Event-ID", late, "X-SSE-ID", early))) {
            client.nextOfType("sys_connected");
            assertThat(client.next().data()).isEqualTo("b");
        }
        node.awaitOffline("d-prec");
        try (SseClient client = SseClient.open(node, "/events?device=d-prec&id=" + late,
                Map.of("X-SSE-TOKEN", token, "X-SSE-ID", early))) {
            client.nextOfType("sys_connected");
            assertThat(data(client, 2)).containsExactly("a", "b");
        }
        node.awaitOffline("d-prec");
        try (SseClient client = SseClient.open(node, "/events?device=d-prec&token=" + token + "&id=" + late, Map.of())) {
            client.nextOfType("sys_connected");
            assertThat(client.next().data()).isEqualTo("b");
        }
    }

    @Test
    void aCursorOlderThanTheHistoryGetsResetExpiredThenWhatIsRetained() {
        String cursor;
        try (SseClient client = node.connect("u-old", "d-old")) {
            cursor = client.nextOfType("sys_connected").id();
        }
        for (int i = 1; i <= 8; i++) {
            node.api().send(Map.of("uid", "u-old", "data", "m" + i));
        }
        try (SseClient client = node.connect("u-old", "d-old", cursor)) {
            client.nextOfType("sys_connected");
            Event reset = client.next();
            assertThat(reset.event()).isEqualTo("sys_reset");
            assertThat(reset.data()).isEqualTo("expired");
            assertThat(data(client, 5)).containsExactly("m4", "m5", "m6", "m7", "m8");
        }
    }

    @Test
    void anUnknownCursorGetsResetUnknownCursor() {
        try (SseClient client = node.connect("u-unknown", "d-unknown", "not-a-cursor")) {
            client.nextOfType("sys_connected");
            Event reset = client.next();
            assertThat(reset.event()).isEqualTo("sys_reset");
            assertThat(reset.data()).isEqualTo("unknown_cursor");
        }
    }

    @Test
    void aCursorFromAnotherRunOfTheBrokerGetsResetHistoryLostThenEverythingRetained() throws InterruptedException {
        String cursor;
        try (TestNode earlier = TestNode.start(); SseClient client = earlier.connect("u-lost", "d-lost")) {
            cursor = client.nextOfType("sys_connected").id();
        }
        try (TestNode restarted = TestNode.start()) {
            restarted.api().send(Map.of("uid", "u-lost", "data", "after restart"));
            try (SseClient client = restarted.connect("u-lost", "d-lost", cursor)) {
                client.nextOfType("sys_connected");
                Event reset = client.next();
                assertThat(reset.event()).isEqualTo("sys_reset");
                assertThat(reset.data()).isEqualTo("history_lost");
                assertThat(client.next().data()).isEqualTo("after restart");
            }
        }
    }

    @Test
    void aDeviceThatComesBackAsAnotherUserStartsAFreshHistory() {
        String cursor;
        try (SseClient client = node.connect("u-first", "d-shared")) {
            cursor = client.nextOfType("sys_connected").id();
        }
        node.api().send(Map.of("uid", "u-first", "data", "for the first user"));
        try (SseClient client = node.connect("u-second", "d-shared", cursor)) {
            client.nextOfType("sys_connected");
            node.api().send(Map.of("uid", "u-second", "data", "for the second user"));
            assertThat(client.next().data()).isEqualTo("for the second user");
        }
    }

    @Test
    void deviceTargetedMessagesReachOnlyThatDeviceOfTheUser() {
        try (SseClient phone = node.connect("u-two", "d-phone"); SseClient laptop = node.connect("u-two", "d-laptop")) {
            phone.nextOfType("sys_connected");
            laptop.nextOfType("sys_connected");
            assertThat(node.api().send(Map.of("device", "d-laptop", "data", "laptop only"))).isEqualTo(1);
            assertThat(node.api().send(Map.of("uid", "u-two", "data", "both"))).isEqualTo(2);
            assertThat(laptop.next().data()).isEqualTo("laptop only");
            assertThat(laptop.next().data()).isEqualTo("both");
            assertThat(phone.next().data()).isEqualTo("both");
        }
    }
}
