package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ssebroker.metrics.PrometheusText;
import io.ssebroker.testing.Api;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import io.ssebroker.testing.TestNode;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Graceful shutdown, slow clients and the connection limits. */
class LifecycleAndLimitsTest {

    @Test
    void gracefulShutdownTellsEveryClientToReconnectElsewhere() throws Exception {
        TestNode node = TestNode.start();
        try (SseClient a = node.connect("u-a", "d-a"); SseClient b = node.connect("u-b", "d-b")) {
            a.nextOfType("sys_connected");
            b.nextOfType("sys_connected");
            long start = System.nanoTime();
            node.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            for (SseClient client : List.of(a, b)) {
                List<Event> last = client.readUntilClosed(Duration.ofSeconds(5));
                assertThat(last).extracting(Event::event).containsExactly("sys_instance_close");
                assertThat(last.get(0).data()).isEqualTo(node.nodeAddress());
            }
        }
    }

    @Test
    void aClientThatDoesNotReadIsDisconnectedAndReplaysOnReconnect() throws Exception {
        try (TestNode node = TestNode.start(Map.of("limits.max_unsent_bytes", "65536",
                "sse.device_frame_cache_size", "2000"))) {
            String token = node.token("u-slow", "d-slow");
            try (Socket stalled = new Socket("127.0.0.1", node.port()); SseClient neighbour = node.connect("u-fast", "d-fast")) {
                stalled.setReceiveBufferSize(4096);
                stalled.getOutputStream().write(("GET /events?device=d-slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-SSE-TOKEN: " + token
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                InputStream in = stalled.getInputStream();
                String head = readUntil(in, "sys_connected\ndata: ");
                String cursor = head.substring(head.lastIndexOf("id: ") + 4, head.indexOf('\n', head.lastIndexOf("id: ")));
                neighbour.nextOfType("sys_connected");
                String big = "x".repeat(16 * 1024);
                int sent = 0;
                // The stalled client reads nothing more: its unsent bytes pass the cap and the broker drops it.
                while (sent < 2000 && node.api().get("/info", Map.of("device", "d-slow")).result().path("online").asBoolean()) {
                    node.api().send(Map.of("uid", "u-slow", "data", big + sent));
                    sent++;
                }
                assertThat(sent).isLessThan(2000);
                node.api().send(Map.of("uid", "u-fast", "data", "neighbour unaffected"));
                assertThat(neighbour.next().data()).isEqualTo("neighbour unaffected");
                try (SseClient back = SseClient.open(node, "/events?device=d-slow",
                        Map.of("X-SSE-TOKEN", token, "Last-Event-ID", cursor))) {
                    back.nextOfType("sys_connected");
                    String first = back.next().data();
                    assertThat(first.length()).isEqualTo(big.length() + 1);
                    assertThat(first).endsWith("x0");
                }
            }
        }
    }

    @Test
    void nodeConnectionLimitTellsClientsToComeBackAndDevicesPerUserLimitAnswers429() throws Exception {
        try (TestNode node = TestNode.start(Map.of("limits.max_connections", "3", "limits.max_devices_per_user", "2"))) {
            try (SseClient one = node.connect("u-lim", "d-1"); SseClient two = node.connect("u-lim", "d-2")) {
                one.nextOfType("sys_connected");
                two.nextOfType("sys_connected");
                try (SseClient third = node.connect("u-lim", "d-3")) {
                    assertThat(third.status()).isEqualTo(429);
                    assertThat(new ObjectMapper().readTree(third.body()).path("code").asInt()).isEqualTo(429);
                    assertThat(third.body()).contains("max_devices_per_user");
                }
                try (SseClient other = node.connect("u-other", "d-o1")) {
                    assertThat(other.status()).isEqualTo(200);
                    other.nextOfType("sys_connected");
                    try (SseClient overNode = node.connect("u-other2", "d-o2")) {
                        // An EventSource stops for good on any status but 200: it is told to come back instead.
                        assertThat(overNode.status()).isEqualTo(200);
                        List<Event> events = overNode.readUntilClosed(Duration.ofSeconds(5));
                        assertThat(events).extracting(Event::event).containsExactly("sys_unavailable");
                        assertThat(events.get(0).data()).contains("max_connections");
                        assertThat(overNode.retry()).isGreaterThanOrEqualTo(1000);
                    }
                    Api.Answer plain = node.api().get("/events", Map.of("token", node.token("u-other3", "d-o3")));
                    assertThat(plain.status()).as("a client that did not ask for an event stream").isEqualTo(503);
                    assertThat(plain.header("Retry-After")).isNotNull();
                    assertThat(plain.msg()).contains("max_connections");
                }
            }
            PrometheusText metrics = PrometheusText.scrape(node);
            assertThat(metrics.value("sse_broker_http_refused_total", Map.of("reason", "user_devices"))).isEqualTo(1);
            assertThat(metrics.value("sse_broker_http_refused_total", Map.of("reason", "node_connections")))
                    .isEqualTo(2);
        }
    }

    private static String readUntil(InputStream in, String marker) throws Exception {
        StringBuilder text = new StringBuilder();
        while (!text.toString().contains(marker)) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("stream ended before " + marker + ": " + text);
            }
            text.append((char) b);
        }
        return text.toString();
    }
}
