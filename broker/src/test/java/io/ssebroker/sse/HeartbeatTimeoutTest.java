package io.ssebroker.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.epoll.Epoll;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.ssebroker.metrics.PrometheusText;
import io.ssebroker.testing.Http2Frames;
import io.ssebroker.testing.Http2Frames.Frame;
import io.ssebroker.testing.PacketFilter;
import io.ssebroker.testing.RawConnection;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestCertificate;
import io.ssebroker.testing.TestNode;
import io.ssebroker.testing.WebhookReceiver;
import io.ssebroker.testing.WebhookReceiver.Call;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that is gone without a word, made with a packet filter on loopback: its segments (its acknowledgements
 * among them) stop arriving, as when a laptop sleeps or a phone switches networks, or it stops reading. Its device goes
 * offline with reason {@code heartbeat_fail} within {@code sse.heartbeat_interval} × 1.25 + {@code
 * sse.heartbeat_timeout}, while a neighbour's stream goes on.
 */
class HeartbeatTimeoutTest {
    private static final int TIMEOUT_SECONDS = 2;
    private static final String FORM = "application/x-www-form-urlencoded";

    @BeforeAll
    static void packetsCanBeFiltered() {
        assumeTrue(Epoll.isAvailable(), "the option needs Netty's epoll transport (Linux)");
        assumeTrue(PacketFilter.available(), "nft cannot filter packets here (Linux, root and Debian's nftables needed)");
    }

    @Test
    void aClientWhoseAcknowledgementsStopGoesOfflineWithHeartbeatFail() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            goesOfflineWithHeartbeatFail(receiver, settings(TIMEOUT_SECONDS, receiver));
        }
    }

    @Test
    void aClientWhoseAcknowledgementsStopGoesOfflineWithHeartbeatFailOnRedis() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone(); WebhookReceiver receiver = WebhookReceiver.start()) {
            Map<String, String> settings = settings(TIMEOUT_SECONDS, receiver);
            settings.put("redis.addrs", redis.first().address());
            goesOfflineWithHeartbeatFail(receiver, settings);
        }
    }

    private static void goesOfflineWithHeartbeatFail(WebhookReceiver receiver, Map<String, String> settings)
            throws Exception {
        try (TestNode node = TestNode.start(settings);
             RawConnection gone = openStream(node, "alice", "d-gone");
             SseClient neighbour = node.connect("bob", "d-bob")) {
            neighbour.nextOfType("sys_connected");
            receiver.next(4); // both users and devices online
            // As in the TLS cases: a fresh JVM's first exchanges, on a busy machine, can inflate the node's round-trip
            // estimate (and its retransmission timeout, which paces the kernel's checks); a few messages read at once
            // bring it back to loopback's.
            for (int i = 0; i < 20; i++) {
                String warm = "warm-" + i;
                node.api().send(Map.of("uid", "alice", "data", warm));
                await().atMost(Duration.ofSeconds(5)).until(() -> gone.read(Duration.ofMillis(50)).contains(warm));
            }
            long dropped = System.nanoTime();
            try (PacketFilter silence = PacketFilter.dropping(gone.localPort(), node.port())) {
                Call device = receiver.next(Duration.ofSeconds(15));
                double seconds = (System.nanoTime() - dropped) / 1e9;
                assertThat(device.summary()).isEqualTo(offline("device_offline", "alice", "d-gone"));
                // the kernel counts from the first segment left unacknowledged, which may just precede the rule
                assertThat(seconds).as("noticed after the timeout, not before").isGreaterThan(TIMEOUT_SECONDS - 0.1);
                // within heartbeat_interval x 1.25 + the timeout, with room for a loaded machine's webhook
                assertThat(seconds).as("noticed within the documented bound").isLessThan(1.25 + TIMEOUT_SECONDS + 3.5);
                assertThat(receiver.next().summary()).isEqualTo(offline("user_offline", "alice", "d-gone"));
            }
            node.awaitOffline("d-gone");
            assertThat(PrometheusText.scrape(node).value("sse_broker_disconnects_total", Map.of("reason", "heartbeat_fail")))
                    .isEqualTo(1.0);
            node.api().send(Map.of("uid", "bob", "data", "still here"));
            assertThat(neighbour.nextOfType("message").data()).isEqualTo("still here");
            assertThat(node.api().get("/info", Map.of("device", "d-bob")).result().path("online").asBoolean()).isTrue();
        }
    }

    @Test
    void aTlsClientWhoseAcknowledgementsStopGoesOfflineWithHeartbeatFail() throws Exception {
        tlsClientGoesOfflineWithHeartbeatFail(false);
    }

    /**
     * What the node sends over TLS is written with promises: once the socket refuses a write, TLS learns of it through
     * the write's promise, not the pipeline. With more queued on the node than the kernel took, the abort shows first
     * there.
     */
    @Test
    void aTlsClientWhoseAcknowledgementsStopWithBytesQueuedOnTheNodeGoesOfflineWithHeartbeatFail() throws Exception {
        tlsClientGoesOfflineWithHeartbeatFail(true);
    }

    private static void tlsClientGoesOfflineWithHeartbeatFail(boolean bytesQueued) throws Exception {
        if (bytesQueued) {
            assumeKernelSendBufferBelowQueuedBytes();
        }
        try (TestCertificate certificate = TestCertificate.forLoopback();
             WebhookReceiver receiver = WebhookReceiver.start()) {
            Map<String, String> settings = settings(TIMEOUT_SECONDS, receiver);
            settings.put("http.tls_cert", certificate.certificateFile().toString());
            settings.put("http.tls_key", certificate.keyFile().toString());
            settings.put("limits.max_unsent_bytes", Integer.toString(64 * 1024 * 1024)); // not dropped as a slow reader
            settings.put("limits.max_message_bytes", Integer.toString(256 * 1024));
            settings.put("limits.max_body_bytes", Integer.toString(16 * 1024 * 1024));
            HttpClient api = HttpClient.newBuilder().sslContext(certificate.clientContext()).build();
            try (TestNode node = TestNode.start(settings);
                 SSLSocket gone = (SSLSocket) certificate.clientContext().getSocketFactory()
                         .createSocket("127.0.0.1", node.port())) {
                // HTTP/1.1 over TLS: the stream's heartbeats and messages go through the TLS handler
                gone.setEnabledProtocols(new String[] {"TLSv1.3"});
                gone.setSoTimeout(10_000);
                String token = tlsCall(api, node, "/token?uid=grace&device=d-tls", null, null).path("result").asText();
                gone.getOutputStream().write(request("d-tls", token).getBytes(StandardCharsets.ISO_8859_1));
                gone.getOutputStream().flush();
                awaitData(gone.getInputStream(), "sys_connected");
                receiver.next(2); // the user and the device online
                // The TLS handshakes of a fresh JVM can hold the client's acknowledgements for hundreds of
                // milliseconds on a busy machine: a few messages read at once bring the node's round-trip estimate
                // (and its retransmission timeout, which paces the kernel's checks) back to loopback's.
                for (int i = 0; i < 20; i++) {
                    tlsCall(api, node, "/send", FORM, "uid=grace&data=warm-" + i);
                    awaitData(gone.getInputStream(), "warm-" + i);
                }
                try (PacketFilter silence = PacketFilter.dropping(gone.getLocalPort(), node.port())) {
                    if (bytesQueued) {
                        // in one request, well before the kernel gives up
                        tlsCall(api, node, "/send", "application/json", queuedBatch("grace"));
                    }
                    assertThat(receiver.next(Duration.ofSeconds(15)).summary())
                            .isEqualTo(offline("device_offline", "grace", "d-tls"));
                    assertThat(receiver.next().summary()).isEqualTo(offline("user_offline", "grace", "d-tls"));
                }
            }
        }
    }

    @Test
    void aClientThatTheNetworkCallsUnreachableGoesOfflineWithHeartbeatFail() throws Exception {
        try (TestNode node = TestNode.start(settings(TIMEOUT_SECONDS, null));
             RawConnection gone = openStream(node, "frank", "d-away")) {
            // what the node sends is answered "host unreachable": its socket then fails with EHOSTUNREACH, not ETIMEDOUT
            try (PacketFilter unreachable = PacketFilter.rejectingAsUnreachable(node.port(), gone.localPort())) {
                await().atMost(Duration.ofSeconds(15)).until(() ->
                        !node.api().get("/info", Map.of("device", "d-away")).result().path("online").asBoolean());
            }
            assertThat(PrometheusText.scrape(node).value("sse_broker_disconnects_total", Map.of("reason", "heartbeat_fail")))
                    .isEqualTo(1.0);
        }
    }

    @Test
    void theStreamsOfAnHttp2ConnectionThatStopsAcknowledgingGoOfflineWithHeartbeatFail() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start();
             TestNode node = TestNode.start(settings(TIMEOUT_SECONDS, receiver))) {
            // The JDK's client asks for h2c on its first request, then carries both streams on that one connection.
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
            assertThat(client.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/healthz")).build(),
                    HttpResponse.BodyHandlers.discarding()).version()).isEqualTo(HttpClient.Version.HTTP_2);
            List<Stream<String>> streams = new ArrayList<>();
            try {
                for (String device : List.of("d-phone", "d-tablet")) {
                    HttpResponse<Stream<String>> stream = client.send(HttpRequest.newBuilder(
                                    URI.create(node.baseUrl() + "/events?device=" + device))
                            .header("X-SSE-TOKEN", node.token("erin", device)).build(), HttpResponse.BodyHandlers.ofLines());
                    streams.add(stream.body());
                    assertThat(stream.version()).isEqualTo(HttpClient.Version.HTTP_2);
                    assertThat(stream.body().filter(line -> line.equals("event: sys_connected")).findFirst()).isPresent();
                }
                receiver.next(3); // the user and both devices online
                // every segment to the node: the one connection that carries both streams, and the idle one of /token
                try (PacketFilter silence = PacketFilter.droppingAllTo(node.port())) {
                    List<Call> offlines = receiver.next(3);
                    assertThat(offlines).extracting(Call::event)
                            .containsExactlyInAnyOrder("device_offline", "device_offline", "user_offline");
                    assertThat(offlines).extracting(Call::device).contains("d-phone", "d-tablet");
                    assertThat(offlines).extracting(Call::reason).containsOnly("heartbeat_fail");
                }
            } finally {
                streams.forEach(Stream::close);
            }
        }
    }

    /**
     * HTTP/2 writes its frames with promises too. A client that offers a window larger than the kernel's buffers lets
     * the node write more than they take; once the client is gone, the abort shows first on those writes' promises.
     */
    @Test
    void anHttp2StreamWhoseAcknowledgementsStopWithBytesQueuedOnTheNodeGoesOfflineWithHeartbeatFail() throws Exception {
        assumeKernelSendBufferBelowQueuedBytes();
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            Map<String, String> settings = settings(TIMEOUT_SECONDS, receiver);
            settings.put("limits.max_unsent_bytes", Integer.toString(64 * 1024 * 1024)); // not dropped as a slow reader
            settings.put("limits.max_message_bytes", Integer.toString(256 * 1024));
            settings.put("limits.max_body_bytes", Integer.toString(16 * 1024 * 1024));
            try (TestNode node = TestNode.start(settings);
                 Socket gone = new Socket("127.0.0.1", node.port())) {
                gone.setSoTimeout(10_000);
                Http2Headers events = new DefaultHttp2Headers().method("GET").scheme("http")
                        .authority(node.nodeAddress()).path("/events?device=d-h2")
                        .add("accept", "text/event-stream").add("x-sse-token", node.token("heidi", "d-h2"));
                // prior knowledge, with the largest window HTTP/2 allows, on the stream and on the connection
                int window = Http2CodecUtil.MAX_INITIAL_WINDOW_SIZE;
                gone.getOutputStream().write(Http2Frames.clientOpening(new Http2Settings().initialWindowSize(window),
                        (writer, ctx) -> {
                            writer.writeWindowUpdate(ctx, 0, window - Http2CodecUtil.DEFAULT_WINDOW_SIZE, ctx.newPromise());
                            writer.writeHeaders(ctx, 1, events, 0, true, ctx.newPromise());
                        }));
                gone.getOutputStream().flush();
                DataInputStream in = new DataInputStream(gone.getInputStream());
                awaitFrameData(in, "sys_connected");
                receiver.next(2); // the user and the device online
                // more than HTTP/2's default window of 65,535 bytes, which the client never extends: it arrives only
                // because the node took the window the client offered
                node.api().send(Map.of("uid", "heidi", "data", "x".repeat(200 * 1024) + "-past-the-default-window"));
                awaitFrameData(in, "-past-the-default-window");
                for (int i = 0; i < 20; i++) { // the round-trip estimate back to loopback's, as over TLS
                    node.api().send(Map.of("uid", "heidi", "data", "warm-" + i));
                    awaitFrameData(in, "warm-" + i);
                }
                try (PacketFilter silence = PacketFilter.dropping(gone.getLocalPort(), node.port())) {
                    // all of it within the window the client offered
                    assertThat(node.api().postJson("/send", queuedBatch("heidi")).status()).isEqualTo(200);
                    assertThat(receiver.next(Duration.ofSeconds(15)).summary())
                            .isEqualTo(offline("device_offline", "heidi", "d-h2"));
                    assertThat(receiver.next().summary()).isEqualTo(offline("user_offline", "heidi", "d-h2"));
                }
            }
        }
    }

    @Test
    void aClientThatStopsReadingGoesOfflineWithHeartbeatFailOnceItsWindowStaysClosed() throws Exception {
        assumeTrue(kernelAtLeast(5, 11), "before Linux 5.11 an acknowledged window probe restarts the timeout");
        Map<String, String> settings = settings(TIMEOUT_SECONDS, null);
        settings.put("limits.max_unsent_bytes", Integer.toString(64 * 1024 * 1024)); // not dropped as a slow reader
        try (TestNode node = TestNode.start(settings);
             Socket stuck = new Socket()) {
            stuck.setReceiveBufferSize(4096); // before connecting: the window it offers
            stuck.connect(new InetSocketAddress("127.0.0.1", node.port()));
            stuck.getOutputStream().write(request(node, "carol", "d-stuck").getBytes(StandardCharsets.ISO_8859_1));
            awaitData(stuck.getInputStream(), "sys_connected");
            // far more than the client's small receive buffer takes: its window closes with bytes still to send
            String data = "x".repeat(16 * 1024);
            for (int i = 0; i < 32; i++) {
                node.api().send(Map.of("uid", "carol", "data", data));
            }
            await().atMost(Duration.ofSeconds(15)).until(() ->
                    !node.api().get("/info", Map.of("device", "d-stuck")).result().path("online").asBoolean());
            PrometheusText metrics = PrometheusText.scrape(node);
            assertThat(metrics.value("sse_broker_disconnects_total", Map.of("reason", "heartbeat_fail"))).isEqualTo(1.0);
            assertThat(metrics.value("sse_broker_slow_client_disconnects_total")).isZero();
        }
    }

    @Test
    void withoutTheTimeoutASilentClientStaysOnline() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start();
             TestNode node = TestNode.start(settings(0, receiver));
             RawConnection gone = openStream(node, "dave", "d-gone")) {
            receiver.next(2);
            try (PacketFilter silence = PacketFilter.dropping(gone.localPort(), node.port())) {
                List<Call> calls = receiver.within(Duration.ofSeconds(3 * TIMEOUT_SECONDS));
                assertThat(calls).as("no offline while TCP retransmits").isEmpty();
                assertThat(node.api().get("/info", Map.of("device", "d-gone")).result().path("online").asBoolean()).isTrue();
            }
        }
    }

    private static Map<String, String> settings(int timeoutSeconds, WebhookReceiver receiver) {
        Map<String, String> settings = new HashMap<>(Map.of("sse.heartbeat_interval", "1",
                "sse.heartbeat_timeout", Integer.toString(timeoutSeconds)));
        if (receiver != null) {
            settings.put("callback.url", receiver.url("/hook"));
        }
        return settings;
    }

    /** Whether the running Linux kernel is this version or later ("6.1.0-13-amd64" and the like). */
    private static boolean kernelAtLeast(int major, int minor) {
        String[] version = System.getProperty("os.version").split("[.-]");
        int actualMajor = Integer.parseInt(version[0]);
        return actualMajor > major || (actualMajor == major && version.length > 1 && Integer.parseInt(version[1]) >= minor);
    }

    /** A batch of /send with 8 MiB for a user: 32 messages of 256 KiB. */
    private static String queuedBatch(String uid) {
        String message = "{\"uid\":\"" + uid + "\",\"data\":\"" + "x".repeat(256 * 1024) + "\"}";
        return "[" + String.join(",", Collections.nCopies(32, message)) + "]";
    }

    /**
     * The queued cases send 8 MiB ({@link #queuedBatch}): more than the kernel's largest send buffer here, so that the
     * node holds the rest (read line by line: a file of /proc has no size to read up to).
     */
    private static void assumeKernelSendBufferBelowQueuedBytes() throws IOException {
        String[] sizes = Files.readAllLines(Path.of("/proc/sys/net/ipv4/tcp_wmem")).get(0).trim().split("\\s+");
        assumeTrue(Long.parseLong(sizes[2]) < 8L * 1024 * 1024, "the kernel's send buffer may take all 8 MiB");
    }

    private static String offline(String event, String uid, String device) {
        return event + " " + uid + " " + device + " heartbeat_fail";
    }

    /** A stream opened by hand, so that the test knows its client's port. */
    private static RawConnection openStream(TestNode node, String uid, String device) {
        RawConnection connection = new RawConnection(node.port()).write(request(node, uid, device));
        await().atMost(Duration.ofSeconds(5)).until(() -> connection.read(Duration.ofMillis(200)).contains("sys_connected"));
        return connection;
    }

    private static String request(TestNode node, String uid, String device) {
        return request(device, node.token(uid, device));
    }

    private static String request(String device, String token) {
        return "GET /events?device=" + device + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                + "X-SSE-TOKEN: " + token + "\r\n\r\n";
    }

    /** A call to the API of a node that serves HTTPS only: a GET, or a POST when there is a body. */
    private static JsonNode tlsCall(HttpClient api, TestNode node, String path, String contentType, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + node.port() + path))
                .timeout(Duration.ofSeconds(10));
        if (body != null) {
            request.header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body));
        }
        HttpResponse<String> answer = api.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(path).isEqualTo(200);
        return new ObjectMapper().readTree(answer.body());
    }

    /** Reads a stream until what it read holds {@code text}. */
    private static void awaitData(InputStream in, String text) throws IOException {
        StringBuilder read = new StringBuilder();
        byte[] buffer = new byte[1024];
        while (read.indexOf(text) < 0) {
            int n = in.read(buffer);
            if (n < 0) {
                throw new IOException("closed before " + text + ": " + read);
            }
            read.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
        }
    }

    /** Reads HTTP/2 frames until the DATA read holds {@code text}. */
    private static void awaitFrameData(DataInputStream in, String text) throws IOException {
        StringBuilder read = new StringBuilder();
        while (read.indexOf(text) < 0) {
            Frame frame = Frame.read(in);
            if (frame.type() == Http2Frames.DATA) {
                read.append(new String(frame.payload(), StandardCharsets.UTF_8));
            } else if (frame.type() == Http2Frames.RST_STREAM || frame.type() == Http2Frames.GOAWAY) {
                throw new IOException("the node ended the stream (frame type " + frame.type() + ") before " + text);
            }
        }
    }
}
