package io.ssebroker.http;

import io.netty.channel.Channel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AttributeKey;

/**
 * Remembers that a connection has carried a forwarded request, so that no later request on it counts as local. A
 * proxy that passes {@code Upgrade: h2c} on and then tunnels the connection adds its forwarding header to the
 * upgrading request alone: the streams the client opens after it come from the proxy's loopback address with no
 * header at all. The mark is on the TCP connection, which an HTTP/2 stream reaches as its parent. Event loop only.
 */
final class ForwardedConnection {
    private static final AttributeKey<Boolean> FORWARDED = AttributeKey.valueOf("sse-broker.forwarded-connection");

    private ForwardedConnection() {
    }

    /** Marks the request's connection when the request carries a forwarding header. */
    static void note(Channel channel, HttpHeaders headers) {
        if (ClientAddress.carriesForwarding(headers)) {
            connection(channel).attr(FORWARDED).set(Boolean.TRUE);
        }
    }

    /** Whether a request of this connection carried a forwarding header. */
    static boolean seen(Channel channel) {
        return connection(channel).hasAttr(FORWARDED);
    }

    private static Channel connection(Channel channel) {
        return channel.parent() instanceof SocketChannel parent ? parent : channel;
    }
}
