package io.ssebroker.http;

import io.netty.channel.Channel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AttributeKey;

/**
 * Remembers that an HTTP/2 connection has carried a forwarded request, so that no later stream of it counts as local.
 * A proxy that passes {@code Upgrade: h2c} on and then tunnels the connection adds its forwarding header to the
 * upgrading request alone: the streams the client opens after it come from the proxy's loopback address with no
 * header at all. The mark is on the TCP connection, which a stream reaches as its parent. An HTTP/1.1 request is
 * judged by its own headers: a proxy writes them on every request it forwards. Event loop only.
 */
final class ForwardedConnection {
    private static final AttributeKey<Boolean> FORWARDED = AttributeKey.valueOf("sse-broker.forwarded-connection");

    private ForwardedConnection() {
    }

    /** Marks the connection of an HTTP/2 stream whose request carries a forwarding header. */
    static void note(Channel channel, HttpHeaders headers) {
        if (channel.parent() instanceof SocketChannel connection && ClientAddress.carriesForwarding(headers)) {
            connection.attr(FORWARDED).set(Boolean.TRUE);
        }
    }

    /** Whether a stream of this request's HTTP/2 connection carried a forwarding header. */
    static boolean seen(Channel channel) {
        return channel.parent() instanceof SocketChannel connection && connection.hasAttr(FORWARDED);
    }
}
