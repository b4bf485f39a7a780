package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.testing.RawConnection;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An HTTP/1.1 stream is chunked, so that a client can tell a deliberate end (the last chunk: kick, extrusion,
 * shutdown, a transient refusal) from a cut (the connection closes without it). The test client decodes chunks
 * strictly: a malformed chunk fails the read.
 */
class ChunkedStreamTest {

    @Test
    void frameHeartbeatAndLargeSharedBodyArriveInWellFormedChunks() throws Exception {
        try (TestNode node = TestNode.start(Map.of("sse.heartbeat_interval", "1"));
             SseClient client = node.connect("alice", "phone")) {
            assertThat(client.header("Transfer-Encoding")).isEqualTo("chunked");
            assertThat(client.next().event()).isEqualTo("sys_connected");
            String large = "x".repeat(5000) + "\u00e9\u4e16";
            node.api().send(Map.of("uid", "alice", "data", large));
            node.api().send(Map.of("uid", "alice", "data", "small"));
            assertThat(client.nextOfType("message").data()).isEqualTo(large);
            assertThat(client.nextOfType("message").data()).isEqualTo("small");
            Thread.sleep(1500);
            node.api().send(Map.of("uid", "alice", "data", "after a heartbeat"));
            assertThat(client.nextOfType("message").data()).isEqualTo("after a heartbeat");
            assertThat(client.comments()).contains("heartbeat");
        }
    }

    @Test
    void aKickEndsTheStreamWithTheLastChunk() throws Exception {
        try (TestNode node = TestNode.start(); SseClient client = node.connect("bob", "laptop")) {
            assertThat(client.next().event()).isEqualTo("sys_connected");
            node.api().postForm("/kick", Map.of("uid", "bob", "data", "signed out"));
            List<SseClient.Event> rest = client.readUntilClosed(Duration.ofSeconds(5));
            assertThat(rest).extracting(SseClient.Event::event).contains("sys_kick_offline");
            assertThat(client.endedWithLastChunk()).isTrue();
        }
    }

    @Test
    void aShutdownEndsEveryStreamWithTheLastChunk() throws Exception {
        TestNode node = TestNode.start();
        try (SseClient client = node.connect("carol", "tablet")) {
            assertThat(client.next().event()).isEqualTo("sys_connected");
            new Thread(node::close).start();
            List<SseClient.Event> rest = client.readUntilClosed(Duration.ofSeconds(10));
            assertThat(rest).extracting(SseClient.Event::event).contains("sys_instance_close");
            assertThat(client.endedWithLastChunk()).isTrue();
        }
    }

    @Test
    void aRefusalForNowEndsWithTheLastChunk() throws Exception {
        try (TestNode node = TestNode.start(Map.of("limits.max_connections", "1"));
             SseClient first = node.connect("dave", "one");
             SseClient second = node.connect("dave", "two")) {
            assertThat(first.next().event()).isEqualTo("sys_connected");
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.next().event()).isEqualTo("sys_unavailable");
            assertThat(second.next()).isNull();
            assertThat(second.endedWithLastChunk()).isTrue();
        }
    }

    @Test
    void anHttp10ClientGetsAPlainBodyThatEndsWithTheConnection() throws Exception {
        try (TestNode node = TestNode.start(); RawConnection connection = new RawConnection(node.port())) {
            String token = node.token("erin", "phone");
            connection.write("GET /events?device=phone HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nX-SSE-TOKEN: "
                    + token + "\r\n\r\n");
            String head = connection.read(Duration.ofSeconds(1));
            assertThat(head).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("transfer-encoding")
                    .contains("\r\n\r\nretry: ").contains("event: sys_connected\n");
        }
    }
}
