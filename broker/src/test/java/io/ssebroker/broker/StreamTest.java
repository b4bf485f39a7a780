package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SSE stream as a client sees it: headers, opening frames, live messages, heartbeats. */
class StreamTest {
    private static TestNode node;

    @BeforeAll
    static void start() throws InterruptedException {
        node = TestNode.start(Map.of("sse.heartbeat_interval", "1", "sse.retry_ms", "2000", "sse.retry_jitter", "500"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void opensWithHeadersRetryAndConnectedEvent() {
        try (SseClient client = node.connect("u-open", "d-open")) {
            assertThat(client.status()).isEqualTo(200);
            assertThat(client.header("content-type")).isEqualTo("text/event-stream; charset=utf-8");
            assertThat(client.header("cache-control")).isEqualTo("no-cache");
            assertThat(client.header("x-accel-buffering")).isEqualTo("no");
            Event connected = client.next();
            assertThat(connected.event()).isEqualTo("sys_connected");
            assertThat(connected.data()).startsWith("127.0.0.1:");
            assertThat(connected.id()).isNotEmpty();
            assertThat(client.retry()).isBetween(1500, 2500);
        }
    }

    @Test
    void deliversMultiLineDataAndCustomEvents() {
        try (SseClient client = node.connect("u-multi", "d-multi")) {
            client.nextOfType("sys_connected");
            assertThat(node.api().send(Map.of("uid", "u-multi", "data", "line one\nline two\r\nline three", "event", "chat")))
                    .isEqualTo(1);
            Event event = client.next();
            assertThat(event.event()).isEqualTo("chat");
            assertThat(event.data()).isEqualTo("line one\nline two\nline three");
            assertThat(event.id()).isNotEmpty();
        }
    }

    @Test
    void sendsHeartbeatCommentsWhenSilent() throws InterruptedException {
        try (SseClient client = node.connect("u-beat", "d-beat")) {
            client.nextOfType("sys_connected");
            node.api().send(Map.of("uid", "u-beat", "data", "after heartbeat"));
            Thread.sleep(2600);
            node.api().send(Map.of("uid", "u-beat", "data", "after heartbeat 2"));
            assertThat(client.next().data()).isEqualTo("after heartbeat");
            assertThat(client.next().data()).isEqualTo("after heartbeat 2");
            assertThat(client.comments()).contains("heartbeat");
        }
    }
}
