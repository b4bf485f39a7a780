package io.ssebroker.bench;

import io.netty.handler.codec.http.FullHttpRequest;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * nginx with Nchan: subscribers on {@code /sub/<channel>} as EventSource, publishers on {@code /pub/<channel>}
 * (the locations bench/compare configures). Nchan has no per-user addressing, so unicast uses a channel per user.
 */
final class NchanTarget implements Target {
    private final InetSocketAddress server;
    private final Channels channels;

    NchanTarget(InetSocketAddress server, Channels channels) {
        this.server = server;
        this.channels = channels;
    }

    @Override
    public String name() {
        return "nchan";
    }

    @Override
    public InetSocketAddress subscribeAddress(int subscriber) {
        return server;
    }

    @Override
    public List<InetSocketAddress> publishAddresses() {
        return List.of(server);
    }

    @Override
    public FullHttpRequest subscription(int subscriber) {
        return Requests.stream(server, "/sub/" + channels.subscribedBy(subscriber));
    }

    @Override
    public FullHttpRequest publication(int subscriber, String payload) {
        return Requests.post(server, "/pub/" + channels.publishedTo(subscriber), "text/plain", payload);
    }
}
