package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ssebroker.broker.RetryDelays;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.metrics.PrometheusText;
import io.ssebroker.testing.RawConnection;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One client address cannot take every connection of a node nor connect without pause: 429 with Retry-After beyond
 * the limits (an event stream gets 200, {@code retry:} and {@code sys_unavailable}, so that it comes back), counted
 * in the metrics; other addresses are served meanwhile.
 */
class AddressLimitsTest {

    private static SseClient connectAs(TestNode node, String clientAddress, String device, boolean eventStream) {
        Map<String, String> headers = new java.util.HashMap<>(Map.of("X-SSE-TOKEN", node.token("u-" + device, device),
                "X-Forwarded-For", clientAddress));
        if (!eventStream) {
            headers.put("Accept", "application/json");
        }
        return SseClient.open(node, "/events?device=" + device, headers);
    }

    @Test
    void connectionsPerClientAddressAreCappedBehindAProxy() throws Exception {
        try (TestNode node = TestNode.start(Map.of("http.trusted_proxies", "127.0.0.1",
                "limits.max_connections_per_address", "3"))) {
            List<SseClient> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                held.add(connectAs(node, "198.51.100.7", "d" + i, true));
                assertThat(held.get(i).next().event()).isEqualTo("sys_connected");
            }
            try (SseClient eventSource = connectAs(node, "198.51.100.7", "d3", true)) {
                assertThat(eventSource.status()).isEqualTo(200);
                SseClient.Event refusal = eventSource.next();
                assertThat(refusal.event()).isEqualTo("sys_unavailable");
                assertThat(refusal.data()).contains("limits.max_connections_per_address");
                assertThat(eventSource.retry()).isGreaterThanOrEqualTo(1000);
                assertThat(eventSource.next()).isNull();
                assertThat(eventSource.endedWithLastChunk()).isTrue();
            }
            try (SseClient plain = SseClient.open(node, "/events?device=d4", Map.of("Accept", "application/json",
                    "X-SSE-TOKEN", node.token("u-d4", "d4"), "X-Forwarded-For", "198.51.100.7"))) {
                assertThat(plain.status()).isEqualTo(429);
                assertThat(plain.header("Retry-After")).isNotNull();
                assertThat(plain.body()).contains("limits.max_connections_per_address");
            }
            try (SseClient other = connectAs(node, "198.51.100.8", "e0", true)) {
                assertThat(other.next().event()).as("another address").isEqualTo("sys_connected");
            }
            try (SseClient v6 = connectAs(node, "2001:db8:7::1", "f0", true)) {
                assertThat(v6.next().event()).isEqualTo("sys_connected");
            }
            held.remove(0).close();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                try (SseClient again = connectAs(node, "198.51.100.7", "d5", true)) {
                    assertThat(again.next().event()).isEqualTo("sys_connected");
                }
            });
            held.forEach(SseClient::close);
            PrometheusText metrics = PrometheusText.scrape(node);
            assertThat(metrics.value("sse_broker_http_refused_total", Map.of("reason", "address_connections")))
                    .isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void connectsPerSecondPerAddressAreCapped() throws Exception {
        try (TestNode node = TestNode.start(Map.of("http.trusted_proxies", "127.0.0.1",
                "limits.connects_per_second_per_address", "2"))) {
            int refused = 0;
            for (int i = 0; i < 6; i++) {
                try (SseClient client = connectAs(node, "198.51.100.9", "r" + i, false)) {
                    if (client.status() == 429) {
                        refused++;
                        int retryAfter = Integer.parseInt(client.header("Retry-After"));
                        assertThat(retryAfter).as("at least sse.retry_ms, spread over up to twice that")
                                .isBetween(3, 6);
                        assertThat(client.body()).contains("limits.connects_per_second_per_address");
                    } else {
                        assertThat(client.status()).isEqualTo(200);
                    }
                }
            }
            assertThat(refused).isGreaterThanOrEqualTo(3);
            try (SseClient other = connectAs(node, "198.51.100.10", "s0", true)) {
                assertThat(other.next().event()).isEqualTo("sys_connected");
            }
            Thread.sleep(1100);
            try (SseClient later = connectAs(node, "198.51.100.9", "r9", true)) {
                assertThat(later.next().event()).as("the allowance refills").isEqualTo("sys_connected");
            }
            assertThat(PrometheusText.scrape(node).value("sse_broker_http_refused_total",
                    Map.of("reason", "address_connect_rate"))).isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void tcpConnectionsPerPeerAreCappedBeforeAByteIsRead() throws Exception {
        try (TestNode node = TestNode.start(Map.of("limits.max_connections_per_address", "2"))) {
            try (RawConnection first = new RawConnection(node.port()); RawConnection second = new RawConnection(node.port())) {
                first.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                assertThat(first.read(Duration.ofMillis(500))).contains("\"ok\"");
                try (RawConnection third = new RawConnection(node.port())) {
                    third.read(Duration.ofSeconds(2));
                    assertThat(third.closedByServer()).isTrue();
                }
            }
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(node.api().get("/healthz", Map.of()).status()).isEqualTo(200));
            assertThat(PrometheusText.scrape(node).value("sse_broker_http_refused_total",
                    Map.of("reason", "peer_connections"))).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void aRefusedClientIsNeverToldToComeBackSoonerThanTheRetryDelay() throws Exception {
        AddressLimits limits = new AddressLimits(1, 1000, retryDelays(2000));
        InetAddress fast = InetAddress.getByName("198.51.100.2");
        AddressLimits.Refusal tooFast = null;
        for (int i = 0; i < 10_000 && tooFast == null; i++) { // the bucket holds a second's worth, refilling meanwhile
            tooFast = limits.acquire(fast);
            if (tooFast == null) {
                limits.release(fast);
            }
        }
        assertThat(tooFast).isNotNull();
        assertThat(tooFast.tooFast()).isTrue();
        assertThat(tooFast.retryAfterMillis()).as("the next token is a millisecond away, yet the client waits")
                .isBetween(2000, 4000);

        InetAddress holding = InetAddress.getByName("198.51.100.3");
        assertThat(limits.acquire(holding)).isNull();
        AddressLimits.Refusal full = limits.acquire(holding);
        assertThat(full.tooFast()).isFalse();
        assertThat(full.retryAfterMillis()).isBetween(2000, 8000);
    }

    @Test
    void aSlowTokenBucketSetsTheDelayWhenItIsTheLonger() throws Exception {
        AddressLimits limits = new AddressLimits(0, 1, retryDelays(0));
        InetAddress address = InetAddress.getByName("198.51.100.4");
        assertThat(limits.acquire(address)).isNull();
        AddressLimits.Refusal refusal = limits.acquire(address);
        assertThat(refusal.retryAfterMillis()).as("a second to the next token").isBetween(990, 2000);
    }

    private static RetryDelays retryDelays(int retryMs) {
        return new RetryDelays(new BrokerConfig.Sse(15, 30, 100, 3600, retryMs, 0, 300));
    }

    @Test
    void theLimitsForgetAddressesThatHoldNothing() throws Exception {
        AddressLimits limits = new AddressLimits(2, 1000, retryDelays(3000));
        InetAddress address = InetAddress.getByName("198.51.100.1");
        assertThat(limits.acquire(address)).isNull();
        assertThat(limits.acquire(address)).isNull();
        assertThat(limits.acquire(address)).isNotNull();
        limits.release(address);
        limits.release(address);
        Thread.sleep(10);
        limits.sweep();
        assertThat(limits.trackedAddresses()).isZero();
    }
}
