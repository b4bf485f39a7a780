package io.ssebroker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.SseClient.Event;
import static org.awaitility.Awaitility.await;

import io.ssebroker.testing.Api;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node started as a process stops gracefully on SIGTERM: every client is told to reconnect elsewhere. */
class SignalShutdownTest {
    @Test
    void sigtermSendsInstanceCloseToEveryClientAndExits(@TempDir Path dir) throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(javaBin.toString(), "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "--port", String.valueOf(port), "--host", "127.0.0.1",
                "--secret", "process-test-secret-of-32-bytes-or-more")
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("node.log").toFile())
                .start();
        try {
            int boundPort = port;
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                try (Socket socket = new Socket("127.0.0.1", boundPort)) {
                    return true;
                }
            });
            Api api = new Api("http://127.0.0.1:" + port);
            String token = api.token("u-sig", "d-sig");
            try (SseClient client = SseClient.open("127.0.0.1", port, "/events", Map.of("X-SSE-TOKEN", token))) {
                client.nextOfType("sys_connected");
                process.destroy(); // SIGTERM
                List<Event> last = client.readUntilClosed(Duration.ofSeconds(10));
                assertThat(last).extracting(Event::event).containsExactly("sys_instance_close");
                assertThat(last.get(0).data()).isEqualTo("127.0.0.1:" + port);
            }
            assertThat(process.waitFor(15, TimeUnit.SECONDS)).as("process exited").isTrue();
        } finally {
            process.destroyForcibly();
        }
    }
}
