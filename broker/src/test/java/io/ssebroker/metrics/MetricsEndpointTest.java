package io.ssebroker.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ssebroker.testing.Api;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code /metrics}, {@code /readyz} and {@code /healthz} over HTTP, after real traffic on real streams. */
class MetricsEndpointTest {
    private static final String API_KEY = "operator-key-0123456789";

    @Test
    void metricsCountWhatTheBrokerDid() throws InterruptedException {
        try (TestNode node = TestNode.start()) {
            SseClient alice = node.connect("u-m", "d-m");
            alice.nextOfType("sys_connected");
            node.api().send(Map.of("uid", "u-m", "data", "to alice"));
            node.api().send(Map.of("data", "to everyone"));
            alice.nextOfType("message");
            String cursor = alice.nextOfType("message").id();
            alice.close();
            node.awaitOffline("d-m");
            node.api().send(Map.of("uid", "u-m", "data", "missed"));
            SseClient back = node.connect("u-m", "d-m", cursor);
            assertThat(back.nextOfType("message").data()).isEqualTo("missed");

            SseClient lost = SseClient.open(node, "/events?device=d-r",
                    Map.of("X-SSE-TOKEN", node.token("u-r", "d-r"), "Last-Event-ID", "not-a-cursor"));
            assertThat(lost.nextOfType("sys_reset").data()).isEqualTo("unknown_cursor");
            SseClient extruder = node.connect("u-r", "d-r");
            extruder.nextOfType("sys_connected");
            lost.readUntilClosed(Duration.ofSeconds(5));
            node.api().postForm("/kick", Map.of("uid", "u-m"));
            back.readUntilClosed(Duration.ofSeconds(5));
            node.awaitOffline("d-m");

            Api.Answer answer = node.api().get("/metrics", Map.of());
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.header("Content-Type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
            PrometheusText metrics = PrometheusText.scrape(node);
            assertThat(metrics.value("sse_broker_connections")).isEqualTo(1.0);
            assertThat(metrics.value("sse_broker_users_online")).isEqualTo(1.0);
            assertThat(metrics.value("sse_broker_devices_online")).isEqualTo(1.0);
            assertThat(metrics.value("sse_broker_messages_published_total")).isEqualTo(3.0);
            assertThat(metrics.value("sse_broker_deliveries_total")).isEqualTo(2.0);
            assertThat(metrics.value("sse_broker_replayed_frames_total")).isEqualTo(1.0);
            assertThat(metrics.value("sse_broker_resets_total", Map.of("reason", "unknown_cursor"))).isEqualTo(1.0);
            assertThat(metrics.value("sse_broker_disconnects_total", Map.of("reason", "device_disconnect"))).isEqualTo(1.0);
            assertThat(metrics.value("sse_broker_disconnects_total", Map.of("reason", "extrude_offline"))).isEqualTo(1.0);
            assertThat(metrics.value("sse_broker_disconnects_total", Map.of("reason", "kick_offline"))).isEqualTo(1.0);
            assertThat(metrics.value("sse_broker_http_requests_seconds_count",
                    Map.of("endpoint", "/send", "status", "200"))).isEqualTo(3.0);
            assertThat(metrics.value("sse_broker_http_requests_seconds_count",
                    Map.of("endpoint", "/events", "status", "200"))).isEqualTo(4.0);
            assertThat(metrics.value("sse_broker_engine_commands_seconds_count",
                    Map.of("command", "publish", "outcome", "ok"))).isEqualTo(3.0);
            assertThat(metrics.value("sse_broker_engine_commands_seconds_bucket",
                    Map.of("command", "register", "outcome", "ok", "le", "2.5"))).isEqualTo(4.0);
            assertThat(metrics.value("sse_broker_netty_memory_used_bytes", Map.of("area", "direct"))).isPositive();
            assertThat(metrics.sum("jvm_memory_used_bytes", Map.of("area", "heap"))).isPositive();
            assertThat(metrics.value("jvm_threads_live_threads")).isPositive();
            assertThat(metrics.value("system_cpu_count")).isPositive();
            assertThat(metrics.text()).contains("jvm_gc_");
            assertThat(metrics.value("sse_broker_webhook_queue")).as("no webhook configured").isNaN();
            extruder.close();
        }
    }

    @Test
    void unknownPathsAreCountedTogetherNotOneSeriesEach() throws InterruptedException {
        try (TestNode node = TestNode.start()) {
            node.api().get("/no-such-page-1", Map.of());
            node.api().get("/no-such-page-2", Map.of());
            PrometheusText metrics = PrometheusText.scrape(node);
            assertThat(metrics.value("sse_broker_http_requests_seconds_count",
                    Map.of("endpoint", "other", "status", "404"))).isEqualTo(2.0);
            assertThat(metrics.text()).doesNotContain("no-such-page");
        }
    }

    @Test
    void aSlowClientDisconnectIsCounted() throws Exception {
        try (TestNode node = TestNode.start(Map.of("limits.max_unsent_bytes", "4096"));
             Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress(node.host(), node.port()));
            OutputStream out = socket.getOutputStream();
            out.write(("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-SSE-TOKEN: " + node.token("u-slow", "d-slow")
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await().atMost(Duration.ofSeconds(5)).until(() -> node.api().get("/info", Map.of("device", "d-slow"))
                    .result().path("online").asBoolean());
            String large = "x".repeat(60_000); // never read by the client: the node's buffers fill up
            for (int i = 0; i < 400 && node.api().send(Map.of("device", "d-slow", "data", large)) == 1; i++) {
                // sends until the node has dropped the client (the answer counts it no longer)
            }
            assertThat(PrometheusText.scrape(node).value("sse_broker_slow_client_disconnects_total")).isEqualTo(1.0);
        }
    }

    @Test
    void metricsAreServedLikeThePublisherApi() throws InterruptedException {
        try (TestNode secured = TestNode.start(Map.of("auth.api_keys", API_KEY))) {
            assertThat(secured.api().get("/metrics", Map.of()).status()).isEqualTo(401);
            assertThat(secured.api().get("/metrics", Map.of(), Map.of("X-API-Key", "operator-key-wrong-key")).status())
                    .isEqualTo(401);
            assertThat(secured.api().get("/metrics", Map.of(), Map.of("Authorization", "Bearer " + API_KEY)).status())
                    .isEqualTo(200);
            assertThat(secured.api().get("/metrics", Map.of(), Map.of("X-API-Key", API_KEY)).status()).isEqualTo(200);
        }
        try (TestNode proxied = TestNode.start(Map.of("http.trusted_proxies", "127.0.0.1"))) {
            Api.Answer remote = proxied.api().get("/metrics", Map.of(), Map.of("X-Forwarded-For", "203.0.113.7"));
            assertThat(remote.status()).isEqualTo(403);
            assertThat(remote.msg()).contains("loopback");
            assertThat(proxied.api().get("/metrics", Map.of()).status()).isEqualTo(200);
        }
    }

    @Test
    void healthAndReadinessAreOpenAndGetOnly() throws InterruptedException {
        try (TestNode node = TestNode.start(Map.of("auth.api_keys", API_KEY))) {
            Api.Answer ready = node.api().get("/readyz", Map.of());
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.code()).isEqualTo(1);
            assertThat(ready.result().asText()).isEqualTo("ready");
            assertThat(node.api().get("/healthz", Map.of()).status()).isEqualTo(200);
            for (String path : new String[] {"/readyz", "/metrics", "/healthz"}) {
                Api.Answer post = node.api().post(path, "application/json", "{}", Map.of("X-API-Key", API_KEY));
                assertThat(post.status()).as(path).isEqualTo(405);
                assertThat(post.code()).isEqualTo(405);
            }
        }
    }

}
