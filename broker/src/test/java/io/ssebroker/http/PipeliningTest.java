package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.testing.KernelSockets;
import io.ssebroker.testing.RawConnection;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1.1 pipelining end to end: answers leave in the order of their requests whatever order they finish in, and a
 * client that pipelines without reading is held back by its own socket and closed, while its neighbours are served.
 * A client that reads nothing may not learn of a close for long, so the node's end of the connection is looked at.
 */
class PipeliningTest {

    @Test
    void answersLeaveInTheOrderOfTheRequestsThoughASendWaitsForRedis() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address()));
             SseClient client = node.connect("u-pipe", "d-pipe");
             RawConnection connection = new RawConnection(node.port())) {
            client.nextOfType("sys_connected");
            StringBuilder requests = new StringBuilder();
            for (int i = 0; i < 20; i++) {
                String body = "uid=u-pipe&data=m" + i;
                requests.append("POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n")
                        .append("Content-Length: ").append(body.length()).append("\r\n\r\n").append(body)
                        .append("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            }
            String answers = connection.write(requests.toString()).read(Duration.ofSeconds(2));
            List<String> bodies = new ArrayList<>();
            Matcher answer = Pattern.compile("HTTP/1\\.1 200 OK\\r\\n(?:[^\\r\\n]+\\r\\n)*?content-length: (\\d+)\\r\\n"
                    + "(?:[^\\r\\n]+\\r\\n)*\\r\\n", Pattern.CASE_INSENSITIVE).matcher(answers);
            for (int at = 0; answer.find(at); ) {
                int start = answer.end();
                bodies.add(answers.substring(start, start + Integer.parseInt(answer.group(1))));
                at = start + Integer.parseInt(answer.group(1));
            }
            assertThat(bodies).hasSize(40);
            for (int i = 0; i < 40; i += 2) {
                assertThat(bodies.get(i)).as("answer %d, to a send", i).containsPattern("\"result\":\\d");
                assertThat(bodies.get(i + 1)).as("answer %d, to a health check", i + 1).contains("\"result\":\"ok\"");
            }
            for (int i = 0; i < 20; i++) {
                assertThat(client.nextOfType("message").data()).isEqualTo("m" + i);
            }
        }
    }

    /**
     * An {@code Upgrade: h2c} request pipelined behind an event stream whose registration waits for Redis: the
     * connection does not move to HTTP/2 under the stream. The stream opens; the request behind it is dropped with
     * the connection's HTTP/1.1 handling, and once the client leaves, its device goes offline.
     */
    @Test
    void anUpgradePipelinedBehindAnEventStreamDoesNotOvertakeIt() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address()))) {
            try (RawConnection connection = new RawConnection(node.port())) {
                String answer = connection.write("GET /events?device=d-upgrade HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                + "Accept: text/event-stream\r\nX-SSE-TOKEN: " + node.token("u-upgrade", "d-upgrade") + "\r\n\r\n"
                                + "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                                + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n")
                        .read(Duration.ofSeconds(2));
                assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").contains("sys_connected").doesNotContain(" 101 ");
                assertThat(node.api().get("/info", Map.of("device", "d-upgrade")).result().path("online").asBoolean())
                        .as("online").isTrue();
            }
            node.awaitOffline("d-upgrade");
        }
    }

    /** A request pipelined behind one whose answer closes the connection is not run: it would have no answer. */
    @Test
    void nothingPipelinedBehindAnAnswerThatClosesTheConnectionIsRun() throws Exception {
        try (TestNode node = TestNode.start();
             SseClient client = node.connect("u-closing", "d-closing");
             RawConnection connection = new RawConnection(node.port())) {
            client.nextOfType("sys_connected");
            String body = "uid=u-closing&data=unanswered";
            String answers = connection.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    + "POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body).read(Duration.ofSeconds(2));
            assertThat(answers.split("HTTP/1\\.1 ", -1)).as("one answer: %s", answers).hasSize(2);
            assertThat(connection.closedByServer()).isTrue();
            node.api().send(Map.of("uid", "u-closing", "data", "after"));
            assertThat(client.nextOfType("message").data()).as("the pipelined send was not run").isEqualTo("after");
        }
    }

    /**
     * Answers left unread, then the head of a request whose body never comes: the late body's 408 could not leave
     * before the unread answers, and the connection is closed all the same, not held with no timer left.
     */
    @Test
    void unreadAnswersThenABodyThatNeverComesStillCloseTheConnection() throws Exception {
        assumeTrue(KernelSockets.available(), "no table of the kernel's TCP sockets");
        try (TestNode node = TestNode.start(Map.of("http.keepalive_timeout", "2", "http.body_timeout", "1"));
             Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(new InetSocketAddress("127.0.0.1", node.port()));
            String requests = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".repeat(30)
                    + "POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: 10\r\n\r\n";
            OutputStream out = client.getOutputStream();
            Thread writer = new Thread(() -> {
                try {
                    out.write(requests.getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException closed) {
                    // the node closed the connection
                }
            }, "pipelining-writer");
            writer.setDaemon(true);
            writer.start();
            // never read what the node answers: the node's end of the connection is looked at instead
            await("accepted").atMost(Duration.ofSeconds(5))
                    .until(() -> KernelSockets.serverEndOpen(node.port(), client.getLocalPort()));
            await("closed within the timeouts, though the client reads nothing").atMost(Duration.ofSeconds(10))
                    .until(() -> !KernelSockets.serverEndOpen(node.port(), client.getLocalPort()));
        }
    }

    /**
     * A client that sends requests by the thousand and reads none of the answers: the node reads on only once what
     * it read before is answered, so the client is held back by its own socket, and the connection is closed once an
     * answer has sat unread for the keep-alive timeout; its neighbours are served meanwhile. Each request is padded
     * so that one read of the node's (64 kB at most) holds fewer than the HTTP codec's 128 requests, beyond which it
     * would close the connection at once.
     */
    @Test
    void aClientThatPipelinesWithoutReadingIsHeldBackByItsSocketAndClosedAfterTheKeepAliveTimeout() throws Exception {
        assumeTrue(KernelSockets.available(), "no table of the kernel's TCP sockets");
        try (TestNode node = TestNode.start(Map.of("http.keepalive_timeout", "2"));
             SseClient neighbour = node.connect("alice", "phone");
             Socket flooder = new Socket()) {
            neighbour.nextOfType("sys_connected");
            flooder.setReceiveBufferSize(4096);
            flooder.connect(new InetSocketAddress("127.0.0.1", node.port()));
            String request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + "p".repeat(560) + "\r\n\r\n";
            byte[] requests = request.repeat(100).getBytes(StandardCharsets.US_ASCII);
            AtomicLong written = new AtomicLong();
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = flooder.getOutputStream();
                    for (int i = 0; i < 1000; i++) { // 60 MB of requests for 1.8 GB of demo pages, should all be read
                        out.write(requests);
                        written.addAndGet(requests.length);
                    }
                } catch (IOException closed) {
                    // the node closed the connection
                }
            }, "pipelining-flooder");
            writer.setDaemon(true);
            writer.start();
            Thread.sleep(1000);
            long stalledAt = written.get();
            Thread.sleep(500);
            assertThat(writer.isAlive()).as("not closed yet: the keep-alive timeout has not passed").isTrue();
            assertThat(written.get()).as("the node stopped reading: the writer is blocked").isEqualTo(stalledAt)
                    .isLessThan(16L * 1024 * 1024);
            assertThat(node.api().get("/healthz", Map.of()).status()).isEqualTo(200);
            node.api().send(Map.of("uid", "alice", "data", "meanwhile"));
            assertThat(neighbour.nextOfType("message").data()).isEqualTo("meanwhile");
            // the flooder may not learn of the close for long, should its own segments be waiting out a back-off
            await("closed once an answer sat unread for the keep-alive timeout").atMost(Duration.ofSeconds(8))
                    .until(() -> !KernelSockets.serverEndOpen(node.port(), flooder.getLocalPort()));
        }
    }
}
