package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.testing.RawConnection;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Request shapes that front proxies and servers may read differently, so that one request hides another: each is
 * answered 400 and the connection closed (nothing after it is read as a request), and a neighbour's stream is not
 * touched.
 */
class RequestSmugglingTest {
    private static TestNode node;
    private static SseClient neighbour;

    @BeforeAll
    static void start() throws InterruptedException {
        node = TestNode.start();
        neighbour = node.connect("alice", "phone");
        assertThat(neighbour.next().event()).isEqualTo("sys_connected");
    }

    @AfterAll
    static void stop() {
        neighbour.close();
        node.close();
    }

    private static final String SMUGGLED = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "content-length-and-chunked|POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "chunked-and-content-length|POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n",
            "duplicate-content-length|POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nuid=",
            "content-length-list|POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4, 40\r\n\r\nuid=",
            "negative-content-length|POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
            "obsolete-line-folding|GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\r\n Transfer-Encoding: chunked\r\n\r\n",
            "obsolete-folding-after-empty-lines|\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\r\n b\r\n\r\n",
            "obsolete-folding-by-tab|POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding:\r\n\tchunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
            "bad-chunk-size|POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
            "chunk-size-overflow|POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n0\r\n\r\n",
            "unknown-transfer-coding|POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
            "chunked-not-last|POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
            "space-before-colon|POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
            "chunked-on-http-1.0|POST /send HTTP/1.0\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "bare-cr-in-header|GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\rX-Injected: 1\r\n\r\n",
    })
    void isRefusedAndNothingAfterItIsRead(String shape) {
        String name = shape.substring(0, shape.indexOf('|'));
        String request = shape.substring(shape.indexOf('|') + 1);
        try (RawConnection connection = new RawConnection(node.port())) {
            String answer = connection.write(request + SMUGGLED).read(Duration.ofSeconds(2));
            assertThat(connection.status()).as(answer).isEqualTo(400);
            assertThat(answer.split("HTTP/1.1 ", -1)).as("one answer only: " + answer).hasSize(2);
            assertThat(connection.closedByServer()).isTrue();
        }
        node.api().send(Map.of("uid", "alice", "data", name));
        assertThat(neighbour.nextOfType("message").data()).isEqualTo(name);
    }

    /** Trailer fields and many header fields are read, not refused (their maps start small and take any number). */
    @Test
    void aChunkedSendWithTrailersAndManyHeadersIsRead() {
        StringBuilder headers = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            headers.append("X-Field-").append(i).append(": ").append(i).append("\r\n");
        }
        String body = "uid=alice&data=with+trailers";
        try (RawConnection connection = new RawConnection(node.port())) {
            String answer = connection.write("POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers
                    + "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\nX-Trailer-A: 1\r\nX-Trailer-B: 2\r\n"
                    + "X-Trailer-C: 3\r\n\r\n").read(Duration.ofSeconds(1));
            assertThat(connection.status()).as(answer).isEqualTo(200);
        }
        assertThat(neighbour.nextOfType("message").data()).isEqualTo("with trailers");
    }
}
