package io.ssebroker.testing;

import static org.awaitility.Awaitility.await;

import io.ssebroker.cli.BrokerNode;
import io.ssebroker.config.ConfigLoader;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** A broker node on a free loopback port, configured by key path ({@code sse.heartbeat_interval}) for one test. */
public final class TestNode implements AutoCloseable {
    public static final String SECRET = "test-secret-of-at-least-32-bytes-long!!";

    private final BrokerNode node;
    private final InetSocketAddress address;
    private final Api api;

    private TestNode(Map<String, String> settings) throws InterruptedException {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("server.host", "127.0.0.1");
        flags.put("server.port", "0");
        flags.put("server.shutdown_timeout", "5");
        flags.put("jwt.secret", SECRET);
        flags.put("sse.retry_jitter", "0");
        // every test client comes from 127.0.0.1: the connect rate per address would throttle the tests' own load
        flags.put("limits.connects_per_second_per_address", "0");
        flags.putAll(settings);
        node = new BrokerNode(new ConfigLoader(Map.of()).load(Optional.empty(), flags).config());
        address = node.start();
        api = new Api(baseUrl());
    }

    public static TestNode start() throws InterruptedException {
        return new TestNode(Map.of());
    }

    public static TestNode start(Map<String, String> settings) throws InterruptedException {
        return new TestNode(settings);
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return address.getPort();
    }

    public String nodeAddress() {
        return "127.0.0.1:" + port();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    public Api api() {
        return api;
    }

    public BrokerNode node() {
        return node;
    }

    /**
     * Waits until this node reports the device offline: a client's close has been processed, so that the device's
     * next connection is not taken for one that replaces (extrudes) a connection still open.
     */
    public void awaitOffline(String device) {
        await().atMost(Duration.ofSeconds(5)).until(() ->
                !api.get("/info", Map.of("device", device)).result().path("online").asBoolean());
    }

    /** A token minted through {@code /token}. */
    public String token(String uid, String device) {
        return api.token(uid, device);
    }

    /** Opens {@code /events} for uid/device with a token bound to the device. */
    public SseClient connect(String uid, String device) {
        return SseClient.open(this, "/events?device=" + device, Map.of("X-SSE-TOKEN", token(uid, device)));
    }

    public SseClient connect(String uid, String device, String lastEventId) {
        return SseClient.open(this, "/events?device=" + device,
                Map.of("X-SSE-TOKEN", token(uid, device), "Last-Event-ID", lastEventId));
    }

    @Override
    public void close() {
        node.close();
    }
}
