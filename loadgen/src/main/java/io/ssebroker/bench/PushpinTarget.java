package io.ssebroker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.FullHttpRequest;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Pushpin in front of the bench's own {@link GripOrigin}: subscribers stream {@code /stream/<channel>} through
 * Pushpin, messages are published on Pushpin's control port ({@code POST /publish/}) in http-stream format, as
 * ready SSE frames. Pushpin has no per-user addressing, so unicast uses a channel per user.
 */
final class PushpinTarget implements Target {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final InetSocketAddress proxy;
    private final InetSocketAddress control;
    private final Channels channels;
    private final GripOrigin origin;

    PushpinTarget(InetSocketAddress proxy, InetSocketAddress control, Channels channels, GripOrigin origin) {
        this.proxy = proxy;
        this.control = control;
        this.channels = channels;
        this.origin = origin;
    }

    @Override
    public String name() {
        return "pushpin";
    }

    @Override
    public InetSocketAddress subscribeAddress(int subscriber) {
        return proxy;
    }

    @Override
    public List<InetSocketAddress> publishAddresses() {
        return List.of(control);
    }

    @Override
    public FullHttpRequest subscription(int subscriber) {
        return Requests.stream(proxy, GripOrigin.PATH + channels.subscribedBy(subscriber));
    }

    @Override
    public FullHttpRequest publication(int subscriber, String payload) {
        ObjectNode item = JSON.createObjectNode().put("channel", channels.publishedTo(subscriber));
        item.putObject("formats").putObject("http-stream").put("content", "data: " + payload + "\n\n");
        ObjectNode body = JSON.createObjectNode();
        body.putArray("items").add(item);
        return Requests.post(control, "/publish/", "application/json", body.toString());
    }

    @Override
    public void close() {
        origin.close();
    }
}
