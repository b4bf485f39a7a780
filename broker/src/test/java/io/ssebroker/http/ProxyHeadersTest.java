package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.ssebroker.testing.Http2Frames;
import io.ssebroker.testing.Http2Frames.Frame;
import io.ssebroker.testing.TestNode;
import java.io.DataInputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A node behind a trusted proxy on the same host, without API keys: the publisher API is for local clients only
 * (direct loopback connections), and no forwarding header a remote client makes up, nor one the proxy appends to,
 * makes it local. The test plays the
 * proxy: its requests come from 127.0.0.1 and carry the headers the proxy would pass on.
 */
class ProxyHeadersTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static TestNode node;

    @BeforeAll
    static void start() throws InterruptedException {
        node = TestNode.start(Map.of("http.trusted_proxies", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static int post(String path, String body, String... headers) throws Exception {
        return post(node, path, body, headers);
    }

    private static int post(TestNode to, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(to.baseUrl() + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void forgedForwardingHeadersDoNotOpenThePublisherApi() throws Exception {
        String[][] forged = {
                {"X-Forwarded-For", "127.0.0.1, 203.0.113.5"},
                {"X-Forwarded-For", "::1, 203.0.113.5"},
                {"X-Forwarded-For", "127.0.0.1, [2001:db8::5]:443"},
                {"X-Forwarded-For", "127.0.0.1, garbage"},
                {"Forwarded", "for=127.0.0.1, for=203.0.113.5"},
                {"Forwarded", "for=\"[::1]\", for=\"[2001:db8::5]:1\""},
                {"Forwarded", "for=127.0.0.1;proto=http, for=unknown"},
        };
        for (String[] header : forged) {
            for (String path : new String[] {"/send", "/kick", "/token", "/info"}) {
                assertThat(post(path, "uid=alice&data=x", header)).as("%s %s: %s", path, header[0], header[1]).isEqualTo(403);
            }
        }
        // the client sent the header its proxy does not manage: the two chains disagree
        assertThat(post("/send", "uid=alice&data=x", "Forwarded", "for=127.0.0.1", "X-Forwarded-For", "203.0.113.5"))
                .isEqualTo(403);
        assertThat(post("/send", "uid=alice&data=x", "X-Real-IP", "127.0.0.1", "X-Forwarded-For", "203.0.113.5"))
                .isEqualTo(403);
    }

    @Test
    void onlyADirectLoopbackRequestIsLocal() throws Exception {
        assertThat(post("/send", "uid=alice&data=x")).as("the proxy's own request, or a direct one").isEqualTo(200);
        // a chain is only as good as the proxy that wrote it: one that only sets X-Real-IP passes X-Forwarded-For on
        assertThat(post("/send", "uid=alice&data=x", "X-Forwarded-For", "127.0.0.1")).isEqualTo(403);
        assertThat(post("/send", "uid=alice&data=x", "Forwarded", "for=\"[::1]:5000\"")).isEqualTo(403);
        assertThat(post("/send", "uid=alice&data=x", "X-Real-IP", "198.51.100.4", "X-Forwarded-For", "127.0.0.1"))
                .isEqualTo(403);
        // an unclosed quote must not swallow the element the proxy appended
        assertThat(post("/send", "uid=alice&data=x", "Forwarded", "for=127.0.0.1;x=\", for=203.0.113.7")).isEqualTo(403);
    }

    /**
     * A proxy on this host that the node does not trust, or that writes another header than the one configured, is
     * still a proxy: what it forwards is not local, so a configuration mistake does not open the publisher API.
     */
    @Test
    void aProxyOnThisHostMakesNoClientLocalWhetherTrustedOrNotWhateverHeaderItWrites() throws Exception {
        try (TestNode untrusting = TestNode.start(Map.of());
             TestNode realIpOnly = TestNode.start(Map.of("http.trusted_proxies", "127.0.0.1",
                     "http.client_address_header", "x-real-ip"))) {
            for (TestNode behindProxy : new TestNode[] {untrusting, realIpOnly}) {
                assertThat(post(behindProxy, "/send", "uid=alice&data=x")).as("a direct local request").isEqualTo(200);
                assertThat(post(behindProxy, "/send", "uid=alice&data=x", "X-Forwarded-For", "203.0.113.5"))
                        .isEqualTo(403);
                assertThat(post(behindProxy, "/info", "uid=alice", "Forwarded", "for=203.0.113.5")).isEqualTo(403);
                assertThat(post(behindProxy, "/token", "uid=alice", "X-Real-IP", "203.0.113.5")).isEqualTo(403);
            }
        }
    }

    /**
     * A proxy that passes {@code Upgrade: h2c} on and then tunnels the connection adds its header to the upgrading
     * request alone; the client's next streams come from the proxy's address with no header. They are not local.
     */
    @Test
    void streamsAfterAForwardedH2cUpgradeAreNotLocal() throws Exception {
        HttpClient h2c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<String> upgraded = h2c.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/healthz"))
                .header("X-Forwarded-For", "203.0.113.5").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(upgraded.version()).isEqualTo(HttpClient.Version.HTTP_2);
        HttpResponse<String> smuggled = h2c.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/send"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("uid=alice&data=x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(smuggled.version()).as("the same connection").isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(smuggled.statusCode()).isEqualTo(403);
        HttpClient direct = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        assertThat(direct.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/send"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("uid=alice&data=x")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).as("a connection of a local client, never forwarded").isEqualTo(200);
    }

    /**
     * The same tunnel, for the client address: every stream of a connection that a trusted proxy upgraded for a client
     * is that client's, the upgrading one included, for the per-address limits and the address it is shown; a header a
     * stream carries in the tunnel was written by the client and is not read.
     */
    @Test
    void everyStreamOfAConnectionATrustedProxyUpgradedIsTheUpgradingClients() throws Exception {
        try (TestNode limited = TestNode.start(Map.of("http.trusted_proxies", "127.0.0.1",
                "limits.max_connections_per_address", "2"))) {
            HttpClient tunnel = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
            List<Stream<String>> open = new ArrayList<>();
            try {
                assertThat(connectedData(open, tunnel, limited, "t1", "X-Forwarded-For", "203.0.113.5"))
                        .as("the upgrading request's own stream").startsWith("203.0.113.5:");
                assertThat(connectedData(open, tunnel, limited, "t2", "X-Forwarded-For", "198.51.100.9"))
                        .as("a header the client wrote in its tunnel").startsWith("203.0.113.5:");
                HttpResponse<String> third = tunnel.send(events(limited, "t3").build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(third.version()).isEqualTo(HttpClient.Version.HTTP_2);
                assertThat(third.statusCode()).as("the client's third stream").isEqualTo(429);
                assertThat(third.body()).contains("203.0.113.5");
                assertThat(connectedData(open, upgradedFor(limited, "203.0.113.6"), limited, "o1"))
                        .as("another client, its own allowance").startsWith("203.0.113.6:");
                assertThat(connectedData(open, upgradedFor(limited, "garbage"), limited, "u1"))
                        .as("a chain that cannot be read, for every stream").isEqualTo("unknown");
            } finally {
                open.forEach(Stream::close);
            }
        }
    }

    /**
     * A connection that speaks HTTP/2 from its start (prior knowledge), as a proxy that multiplexes its clients opens
     * it, is read stream by stream: each stream's own header names its client.
     */
    @Test
    void theStreamsOfAConnectionThatSpokeHttp2FromItsStartNameTheirOwnClients() throws Exception {
        try (Socket socket = new Socket(node.host(), node.port())) {
            socket.setSoTimeout(10_000);
            Http2Headers first = eventsHeaders("pk-1", "203.0.113.5");
            Http2Headers second = eventsHeaders("pk-2", "203.0.113.7");
            socket.getOutputStream().write(Http2Frames.clientOpening((writer, ctx) -> {
                writer.writeHeaders(ctx, 1, first, 0, true, ctx.newPromise());
                writer.writeHeaders(ctx, 3, second, 0, true, ctx.newPromise());
            }));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            Map<Integer, String> connected = new HashMap<>();
            while (connected.size() < 2) {
                Frame frame = Frame.read(in);
                String text = new String(frame.payload(), StandardCharsets.UTF_8);
                if (frame.type() == Http2Frames.DATA && text.contains("event: sys_connected")) {
                    connected.put(frame.streamId(), text);
                }
            }
            assertThat(connected.get(1)).contains("data: 203.0.113.5:");
            assertThat(connected.get(3)).contains("data: 203.0.113.7:");
        }
    }

    private static Http2Headers eventsHeaders(String device, String client) {
        Http2Headers headers = new DefaultHttp2Headers().method("GET").scheme("http").authority(node.nodeAddress())
                .path("/events?device=" + device);
        return headers.add("accept", "text/event-stream").add("x-sse-token", node.token("multiplexed", device))
                .add("x-forwarded-for", client);
    }

    /** A connection upgraded to h2c by a request that names the client, as a proxy that tunnels it forwards it. */
    private static HttpClient upgradedFor(TestNode to, String client) throws Exception {
        HttpClient h2c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<String> upgraded = h2c.send(HttpRequest.newBuilder(URI.create(to.baseUrl() + "/healthz"))
                .header("X-Forwarded-For", client).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(upgraded.version()).isEqualTo(HttpClient.Version.HTTP_2);
        return h2c;
    }

    private static HttpRequest.Builder events(TestNode to, String device) {
        return HttpRequest.newBuilder(URI.create(to.baseUrl() + "/events?device=" + device))
                .header("X-SSE-TOKEN", to.token("tunnelled", device));
    }

    /** The access log names the same client for every stream of a tunnel, the one its upgrading request named. */
    @Test
    void theAccessLogNamesTheUpgradingClientForEveryStreamOfATunnel() throws Exception {
        Logger accessLog = (Logger) LoggerFactory.getLogger(RequestLogHandler.ACCESS_LOGGER);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        Level level = accessLog.getLevel();
        boolean additive = accessLog.isAdditive();
        accessLog.setLevel(Level.INFO);
        accessLog.setAdditive(false);
        accessLog.addAppender(lines);
        List<Stream<String>> open = new ArrayList<>();
        try {
            connectedData(open, upgradedFor(node, "203.0.113.5"), node, "logged", "X-Forwarded-For", "198.51.100.9");
        } finally {
            open.forEach(Stream::close);
            accessLog.detachAppender(lines);
            lines.stop();
            accessLog.setAdditive(additive);
            accessLog.setLevel(level);
        }
        List<String> logged = lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(logged).filteredOn(line -> line.contains("/healthz")).singleElement().asString()
                .startsWith("203.0.113.5:");
        assertThat(logged).filteredOn(line -> line.contains("/events?device=logged")).singleElement().asString()
                .as("a header the client wrote in its tunnel").startsWith("203.0.113.5:");
    }

    /** Opens an event stream on the client's connection and answers its {@code sys_connected} data. */
    private static String connectedData(List<Stream<String>> open, HttpClient client, TestNode to, String device,
                                        String... headers) throws Exception {
        HttpRequest.Builder request = events(to, device).header("Accept", "text/event-stream");
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        HttpResponse<Stream<String>> stream = client.send(request.build(), HttpResponse.BodyHandlers.ofLines());
        open.add(stream.body());
        assertThat(stream.version()).as("on the upgraded connection").isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(stream.statusCode()).isEqualTo(200);
        Iterator<String> lines = stream.body().iterator();
        while (!lines.next().equals("event: sys_connected")) {
            // the retry line and others before the event
        }
        String data = lines.next();
        assertThat(data).startsWith("data: ");
        return data.substring("data: ".length());
    }

    @Test
    void theClientAddressShownIsTheOneReadFromTheRight() throws Exception {
        String token = node.token("alice", "phone");
        try (var client = io.ssebroker.testing.SseClient.open(node, "/events?device=phone",
                Map.of("X-SSE-TOKEN", token, "X-Forwarded-For", "127.0.0.1, 198.51.100.23"))) {
            var connected = client.next();
            assertThat(connected.event()).isEqualTo("sys_connected");
            assertThat(connected.data()).contains("198.51.100.23").doesNotContain("\"127.0.0.1");
        }
    }
}
