package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.metrics.PrometheusText;
import io.ssebroker.testing.RawConnection;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients that hold connections without finishing a request (slowloris): a trickled head, a body that never comes,
 * an idle keep-alive, a connection that says nothing. Each is closed within its timeout while neighbours are served;
 * an SSE stream, once open, owes nothing and stays.
 */
class SlowClientsTest {
    private static TestNode node;

    @BeforeAll
    static void start() throws InterruptedException {
        node = TestNode.start(Map.of("http.header_timeout", "1", "http.body_timeout", "1", "http.keepalive_timeout", "2"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void manyTrickledHeadsAreClosedInTimeWhileNeighboursAreServed() throws Exception {
        try (SseClient neighbour = node.connect("alice", "phone")) {
            assertThat(neighbour.next().event()).isEqualTo("sys_connected");
            List<RawConnection> slow = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                slow.add(new RawConnection(node.port()).write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
            }
            long start = System.nanoTime();
            // a byte now and then does not extend the deadline: it runs from the head's first byte
            for (int round = 0; round < 3; round++) {
                Thread.sleep(300);
                for (RawConnection connection : slow.subList(0, 20)) {
                    connection.write("a");
                }
                assertThat(node.api().get("/healthz", Map.of()).status()).isEqualTo(200);
            }
            node.api().send(Map.of("uid", "alice", "data", "during the attack"));
            assertThat(neighbour.nextOfType("message").data()).isEqualTo("during the attack");
            for (RawConnection connection : slow) {
                connection.read(Duration.ofSeconds(3));
                assertThat(connection.closedByServer()).isTrue();
                connection.close();
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
            assertThat(slow.get(0).status()).isEqualTo(408);
            assertThat(slow.get(0).read(Duration.ZERO.plusMillis(1))).contains("http.header_timeout");
        }
        assertThat(PrometheusText.scrape(node).value("sse_broker_http_refused_total", Map.of("reason", "header_timeout")))
                .isGreaterThanOrEqualTo(300);
    }

    @Test
    void aConnectionThatSaysNothingIsClosed() {
        // accepted after a second without bytes (the listener defers the accept on Linux), then its header timeout
        try (RawConnection silent = new RawConnection(node.port())) {
            silent.read(Duration.ofSeconds(5));
            assertThat(silent.closedByServer()).isTrue();
        }
    }

    @Test
    void aBodyThatDoesNotComeIsAnswered408() {
        try (RawConnection connection = new RawConnection(node.port())) {
            connection.write("POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: 100\r\n\r\nuid=alice&data=");
            long start = System.nanoTime();
            connection.read(Duration.ofSeconds(3));
            assertThat(connection.closedByServer()).isTrue();
            assertThat(connection.status()).isEqualTo(408);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
        }
    }

    /** The 408 of a late body from an allowed origin carries the CORS headers: its page may read why. */
    @Test
    void aLateBodysAnswerToAnAllowedOriginCarriesItsCorsHeaders() throws InterruptedException {
        String origin = "https://app.example.com";
        try (TestNode cors = TestNode.start(Map.of("http.body_timeout", "1", "http.cors_origins", origin));
             RawConnection connection = new RawConnection(cors.port())) {
            String answer = connection.write("POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + origin + "\r\n"
                    + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nuid=alice&data=")
                    .read(Duration.ofSeconds(3));
            assertThat(connection.status()).isEqualTo(408);
            assertThat(answer.toLowerCase(Locale.ROOT)).contains("access-control-allow-origin: " + origin + "\r\n");
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAfterItsTimeoutAndABusyOneIsNot() {
        try (RawConnection connection = new RawConnection(node.port())) {
            for (int i = 0; i < 4; i++) { // 4 requests 0.8 s apart: 3.2 s in all, longer than any one timeout
                connection.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
                assertThat(connection.read(Duration.ofMillis(800))).contains("\"ok\"");
                assertThat(connection.closedByServer()).isFalse();
            }
            connection.read(Duration.ofSeconds(4));
            assertThat(connection.closedByServer()).isTrue();
        }
    }

    @Test
    void anOpenStreamOutlivesEveryRequestTimeout() throws Exception {
        try (SseClient stream = node.connect("bob", "laptop")) {
            assertThat(stream.next().event()).isEqualTo("sys_connected");
            Thread.sleep(3500);
            node.api().send(Map.of("uid", "bob", "data", "still here"));
            assertThat(stream.nextOfType("message").data()).isEqualTo("still here");
        }
    }

    @Test
    void aFailedExpectationClosesTheConnectionInsteadOfWaitingForABody() {
        try (RawConnection connection = new RawConnection(node.port())) {
            connection.write("POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: x-unknown\r\nContent-Length: 10\r\n\r\n");
            connection.read(Duration.ofSeconds(3));
            assertThat(connection.status()).isEqualTo(417);
            assertThat(connection.closedByServer()).isTrue();
        }
    }
}
