package io.ssebroker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.FullHttpRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * sse-broker through its public API: tokens from {@code /token} (bound to the device, so every connect verifies a
 * JWT), streams from {@code /events}, messages through {@code /send}. Subscriber i is uid {@code u<i>} with the one
 * device {@code d<i>}. With several nodes (a cluster on one Redis deployment), subscriber i connects to node
 * {@code i mod n} and the publisher connections take the nodes in turn, so every message crosses nodes.
 */
final class BrokerTarget implements Target {
    private static final long SETUP_TIMEOUT_SECONDS = 120;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<InetSocketAddress> nodes;
    private final String apiKey;
    private String[] tokens = new String[0];

    BrokerTarget(List<InetSocketAddress> nodes, String apiKey) {
        this.nodes = List.copyOf(nodes);
        this.apiKey = apiKey;
    }

    @Override
    public String name() {
        return "sse-broker";
    }

    @Override
    public InetSocketAddress subscribeAddress(int subscriber) {
        return nodes.get(subscriber % nodes.size());
    }

    @Override
    public List<InetSocketAddress> publishAddresses() {
        return nodes;
    }

    /** Mints one token per subscriber, several at a time over the publisher's connections. */
    @Override
    public void prepare(HttpRequester publisher, int subscribers) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SETUP_TIMEOUT_SECONDS);
        List<CompletableFuture<HttpRequester.Response>> answers = new ArrayList<>(subscribers);
        for (int i = 0; i < subscribers; i++) {
            int subscriber = i;
            CompletableFuture<HttpRequester.Response> answer = publisher.send(
                    () -> withApiKey(Requests.get(nodes.get(0), "/token?uid=u" + subscriber + "&device=d" + subscriber)),
                    deadline);
            if (answer == null) {
                throw new IOException("minting " + subscribers + " tokens took over " + SETUP_TIMEOUT_SECONDS + "s");
            }
            answers.add(answer);
        }
        tokens = new String[subscribers];
        for (int i = 0; i < subscribers; i++) {
            HttpRequester.Response response = answers.get(i).get(SETUP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!response.isSuccess()) {
                throw new IOException("/token answered " + response.status() + ": " + response.body());
            }
            tokens[i] = JSON.readTree(response.body()).path("result").asText();
        }
    }

    @Override
    public FullHttpRequest subscription(int subscriber) {
        FullHttpRequest request = Requests.stream(subscribeAddress(subscriber), "/events?device=d" + subscriber);
        request.headers().set("X-SSE-TOKEN", tokens[subscriber]);
        return request;
    }

    @Override
    public FullHttpRequest publication(int subscriber, String payload) {
        String form = "data=" + URLEncoder.encode(payload, StandardCharsets.UTF_8)
                + (subscriber == EVERYONE ? "" : "&uid=u" + subscriber);
        // Whichever node the publisher connection reaches accepts it; the Host header does not choose a node.
        return withApiKey(Requests.post(nodes.get(0), "/send", "application/x-www-form-urlencoded", form));
    }

    private FullHttpRequest withApiKey(FullHttpRequest request) {
        if (apiKey != null) {
            request.headers().set("X-API-Key", apiKey);
        }
        return request;
    }
}
