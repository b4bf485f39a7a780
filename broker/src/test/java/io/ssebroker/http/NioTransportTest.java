package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ssebroker.testing.NodeProcess;
import io.ssebroker.testing.SseClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node on the JDK's NIO transport ({@code http.epoll = false}, what a platform without Netty's native epoll gets),
 * in a process of its own: this test JVM has the native library loaded by the other tests, and a node without it must
 * not need it anywhere, a connection's end included.
 */
class NioTransportTest {

    @Test
    void streamsOpenGetMessagesAndEndWithTheirPresence(@TempDir Path dir) throws Exception {
        try (NodeProcess node = NodeProcess.start(dir, Map.of("SSE_BROKER_HTTP_EPOLL", "false"))) {
            try (SseClient client = node.connect("nina", "d-nio")) {
                client.nextOfType("sys_connected");
                node.api().send(Map.of("uid", "nina", "data", "over nio"));
                assertThat(client.nextOfType("message").data()).isEqualTo("over nio");
            }
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    !node.api().get("/info", Map.of("device", "d-nio")).result().path("online").asBoolean());
            try (SseClient again = node.connect("nina", "d-nio")) {
                assertThat(again.nextOfType("sys_connected")).isNotNull();
            }
        }
    }
}
