package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.ssebroker.testing.Api;
import io.ssebroker.testing.Http2Frames;
import io.ssebroker.testing.Http2Frames.Frame;
import io.ssebroker.testing.TestCertificate;
import io.ssebroker.testing.TestNode;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HTTPS with HTTP/2 chosen by ALPN, and HTTP/2 on cleartext: the API and SSE streams over a real HTTP/2 client. */
class TlsAndHttp2Test {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestCertificate certificate;

    @BeforeAll
    static void makeCertificate() {
        certificate = TestCertificate.forLoopback();
    }

    @AfterAll
    static void deleteCertificate() {
        certificate.close();
    }

    @Test
    void eventStreamsOverH2ShareOneTlsConnection() throws InterruptedException {
        try (TestNode node = TestNode.start(tls(Map.of()))) {
            HttpClient client = client(HttpClient.Version.HTTP_2);
            String base = "https://127.0.0.1:" + node.port();
            List<EventStream> streams = Stream.of("h2-phone", "h2-tablet", "h2-laptop")
                    .map(device -> EventStream.open(client, base, token(client, base, "h2-user", device), device))
                    .toList();
            try {
                for (EventStream stream : streams) {
                    assertThat(stream.response.version()).isEqualTo(HttpClient.Version.HTTP_2);
                    assertThat(stream.response.statusCode()).isEqualTo(200);
                    assertThat(stream.response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
                }
                // Each stream names the client's address: one address for all is one TCP connection.
                List<String> addresses = streams.stream().map(stream -> stream.next().get("data")).toList();
                assertThat(addresses).hasSize(3).containsOnly(addresses.get(0));

                HttpResponse<String> sent = get(client, base + "/send?uid=h2-user&event=news&data=over%20h2");
                assertThat(sent.version()).isEqualTo(HttpClient.Version.HTTP_2);
                assertThat(json(sent).path("result").asInt()).isEqualTo(3);
                for (EventStream stream : streams) {
                    Map<String, String> event = stream.next();
                    assertThat(event).containsEntry("event", "news").containsEntry("data", "over h2").containsKey("id");
                }

                get(client, base + "/kick?device=h2-phone&data=bye");
                assertThat(streams.get(0).next()).containsEntry("event", "sys_kick_offline").containsEntry("data", "bye");
                assertThat(streams.get(0).ended()).as("the kicked stream ended").isTrue();
                get(client, base + "/send?uid=h2-user&data=still%20there");
                assertThat(streams.get(1).next()).containsEntry("data", "still there");
            } finally {
                streams.forEach(EventStream::close);
            }
        }
    }

    /**
     * Headers over limits.max_header_bytes are refused on their stream with the envelope, as over HTTP/1.1; the
     * connection and its other streams go on (Netty's own bound, past which it would end the connection, is higher).
     */
    @Test
    void headersOverTheLimitAreRefusedOnTheirStreamAlone() throws InterruptedException {
        try (TestNode node = TestNode.start(tls(Map.of()))) {
            HttpClient client = client(HttpClient.Version.HTTP_2);
            String base = "https://127.0.0.1:" + node.port();
            try (EventStream neighbour = EventStream.open(client, base, token(client, base, "h2-big", "h2-phone"), "h2-phone")) {
                neighbour.next(); // sys_connected
                for (int padding : new int[] {20_000, 40_000}) {
                    HttpResponse<String> refused = get(client, base + "/healthz", "X-Pad", "p".repeat(padding));
                    assertThat(refused.version()).isEqualTo(HttpClient.Version.HTTP_2);
                    assertThat(refused.statusCode()).as("%d bytes of headers", padding).isEqualTo(413);
                    assertThat(json(refused).path("msg").asText()).contains("limits.max_header_bytes");
                }
                get(client, base + "/send?uid=h2-big&data=still%20open");
                assertThat(neighbour.next()).as("the connection was not closed").containsEntry("data", "still open");
            }
        }
    }

    @Test
    void aClientWithoutH2GetsHttp11OverTls() throws InterruptedException {
        try (TestNode node = TestNode.start(tls(Map.of()))) {
            HttpClient client = client(HttpClient.Version.HTTP_1_1);
            String base = "https://127.0.0.1:" + node.port();
            try (EventStream stream = EventStream.open(client, base, token(client, base, "h1-user", "h1-phone"), "h1-phone")) {
                assertThat(stream.response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
                assertThat(stream.next()).containsEntry("event", "sys_connected");
                get(client, base + "/send?uid=h1-user&data=over%20tls");
                assertThat(stream.next()).containsEntry("data", "over tls");
            }
        }
    }

    @Test
    void withH2OffTlsOffersHttp11Only() throws InterruptedException {
        try (TestNode node = TestNode.start(tls(Map.of("http.h2", "false")))) {
            HttpResponse<String> health = get(client(HttpClient.Version.HTTP_2), "https://127.0.0.1:" + node.port() + "/healthz");
            assertThat(health.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
            assertThat(json(health).path("code").asInt()).isEqualTo(1);
        }
    }

    /** The node's own page over TLS (its origin https://) publishes without a key, on HTTP/1.1 and on h2 alike. */
    @Test
    void theNodesOwnPageOverTlsIsALocalClient() throws InterruptedException {
        for (String h2 : List.of("false", "true")) {
            try (TestNode node = TestNode.start(tls(Map.of("http.h2", h2)))) {
                String base = "https://127.0.0.1:" + node.port();
                HttpClient client = client(h2.equals("true") ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1);
                assertThat(get(client, base + "/info", "Origin", base).statusCode()).as("own page, h2 %s", h2).isEqualTo(200);
                assertThat(get(client, base + "/info", "Origin", "http://127.0.0.1:" + node.port()).statusCode())
                        .as("another origin: http on the node's port, h2 %s", h2).isEqualTo(403);
            }
        }
    }

    @Test
    void cleartextUpgradesToH2cAndStreamsShareTheConnection() throws InterruptedException {
        try (TestNode node = TestNode.start()) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
            // The client asks for h2c with "Upgrade: h2c" on its first request and multiplexes the next ones.
            HttpResponse<String> health = get(client, node.baseUrl() + "/healthz");
            assertThat(health.version()).isEqualTo(HttpClient.Version.HTTP_2);
            try (EventStream first = EventStream.open(client, node.baseUrl(), node.token("h2c-user", "h2c-1"), "h2c-1");
                 EventStream second = EventStream.open(client, node.baseUrl(), node.token("h2c-user", "h2c-2"), "h2c-2")) {
                assertThat(first.response.version()).isEqualTo(HttpClient.Version.HTTP_2);
                assertThat(first.next().get("data")).isEqualTo(second.next().get("data"));
                node.api().send(Map.of("uid", "h2c-user", "data", "over h2c"));
                assertThat(first.next()).containsEntry("data", "over h2c");
                assertThat(second.next()).containsEntry("data", "over h2c");
            }
        }
    }

    @Test
    void cleartextSpeaksH2ToAClientThatStartsWithThePreface() throws Exception {
        try (TestNode node = TestNode.start(); Socket socket = new Socket(node.host(), node.port())) {
            socket.setSoTimeout(10_000);
            Http2Headers health = new DefaultHttp2Headers().method("GET").scheme("http").authority(node.nodeAddress())
                    .path("/healthz");
            OutputStream out = socket.getOutputStream();
            out.write(Http2Frames.clientOpening((writer, ctx) ->
                    writer.writeHeaders(ctx, 1, health, 0, true, ctx.newPromise())));
            out.flush();

            DataInputStream in = new DataInputStream(socket.getInputStream());
            Frame first = Frame.read(in);
            assertThat(first.type()).as("the server's first frame is its SETTINGS").isEqualTo(Http2Frames.SETTINGS);
            Frame frame = first;
            while (!(frame.type() == Http2Frames.DATA && frame.streamId() == 1)) {
                frame = Frame.read(in);
            }
            assertThat(JSON.readTree(frame.payload()).path("code").asInt()).isEqualTo(1);
        }
    }

    private static Map<String, String> tls(Map<String, String> more) {
        Map<String, String> settings = new HashMap<>(more);
        settings.put("http.tls_cert", certificate.certificateFile().toString());
        settings.put("http.tls_key", certificate.keyFile().toString());
        return settings;
    }

    private static HttpClient client(HttpClient.Version version) {
        return HttpClient.newBuilder().version(version).sslContext(certificate.clientContext())
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static String token(HttpClient client, String base, String uid, String device) {
        return json(get(client, base + "/token?" + Api.form(Map.of("uid", uid, "device", device)))).path("result").asText();
    }

    /** @param headers names and values, in turn */
    private static HttpResponse<String> get(HttpClient client, String url, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            request.headers(headers);
        }
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An SSE response of the JDK's HTTP client, read on a background thread so that the test can wait with a timeout. */
    private static final class EventStream implements AutoCloseable {
        private final HttpResponse<Stream<String>> response;
        /** Queued after the last line when the response body ends. */
        private static final String END = "\u0000end";
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        private EventStream(HttpResponse<Stream<String>> response) {
            this.response = response;
            Thread reader = new Thread(() -> {
                try {
                    response.body().forEach(lines::add);
                    lines.add(END);
                } catch (UncheckedIOException e) {
                    // closed by the test, or reset by the broker
                }
            }, "sse-reader");
            reader.setDaemon(true);
            reader.start();
        }

        static EventStream open(HttpClient client, String base, String token, String device) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/events?" + Api.form(Map.of("device", device))))
                    .header("X-SSE-TOKEN", token).header("Accept", "text/event-stream").build();
            try {
                return new EventStream(client.send(request, HttpResponse.BodyHandlers.ofLines()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        /** The next event's fields ({@code event}, {@code data}, {@code id}); {@code retry:} and comments are skipped. */
        Map<String, String> next() {
            Map<String, String> fields = new HashMap<>();
            try {
                while (true) {
                    String line = lines.poll(10, TimeUnit.SECONDS);
                    if (line == null || line.equals(END)) {
                        throw new AssertionError((line == null ? "no event within 10 s" : "the stream ended")
                                + "; got so far " + fields);
                    }
                    if (line.isEmpty()) {
                        if (fields.containsKey("data")) {
                            return fields;
                        }
                        fields.clear();
                    } else if (!line.startsWith(":")) {
                        int colon = line.indexOf(':');
                        fields.merge(line.substring(0, colon), line.substring(colon + 1).stripLeading(), (a, b) -> a + "\n" + b);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        /** True when the body ends (the server ended the response) within 10 s with no further event. */
        boolean ended() {
            try {
                return END.equals(lines.poll(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            response.body().close();
        }
    }
}
