package io.ssebroker.http;

import io.netty.channel.Channel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;

/**
 * What a proxy's forwarding headers said about an HTTP/2 connection. A proxy that passes {@code Upgrade: h2c} on and
 * then tunnels the connection writes its forwarding header on the upgrading request alone: the streams the client
 * opens after it come from the proxy's address with no header the proxy wrote, and any they carry, the client wrote.
 * <ul>
 *   <li>No later stream of a connection that carried a forwarded request counts as local.</li>
 *   <li>A connection upgraded by a request that a trusted proxy forwarded is that request's client's tunnel: every
 *   stream of it is that client's (for the per-address limits, the address a stream is told, the access log),
 *   whatever its own headers say.</li>
 * </ul>
 * A stream of a connection that spoke HTTP/2 from its start (a proxy that multiplexes its clients writes its header on
 * every stream), and an HTTP/1.1 request (a proxy writes them on every request it forwards), are judged by their own
 * headers. The marks are on the TCP connection, which a stream reaches as its parent. Event loop only.
 */
final class ForwardedConnection {
    private static final AttributeKey<Boolean> FORWARDED = AttributeKey.valueOf("sse-broker.forwarded-connection");
    private static final AttributeKey<Tunnel> TUNNEL = AttributeKey.valueOf("sse-broker.tunnelled-connection");

    /**
     * The client a tunnelled connection belongs to, as the upgrading request resolved: null (unknown) when its chain
     * could not be read, the proxy itself when it carried none of the configured header.
     */
    record Tunnel(InetSocketAddress client) {
    }

    private ForwardedConnection() {
    }

    /** Marks the connection of an HTTP/2 stream whose request carries a forwarding header. */
    static void note(Channel channel, HttpHeaders headers) {
        if (channel.parent() instanceof SocketChannel connection && ClientAddress.carriesForwarding(headers)) {
            connection.attr(FORWARDED).set(Boolean.TRUE);
        }
    }

    /** Whether a stream of this request's HTTP/2 connection carried a forwarding header, or it is a tunnel. */
    static boolean seen(Channel channel) {
        return channel.parent() instanceof SocketChannel connection
                && (connection.hasAttr(FORWARDED) || connection.hasAttr(TUNNEL));
    }

    /**
     * The connection is about to be upgraded to h2c by this request: when a trusted proxy forwarded it (the request
     * carries a forwarding header), the connection becomes the tunnel of the client the request names.
     */
    static void upgrading(Channel connection, HttpHeaders headers, ClientAddress addresses) {
        InetSocketAddress peer = (InetSocketAddress) connection.remoteAddress();
        if (peer != null && peer.getAddress() != null && addresses.trusted(peer.getAddress())
                && ClientAddress.carriesForwarding(headers)) {
            connection.attr(TUNNEL).set(new Tunnel(addresses.resolve(peer, headers)));
        }
    }

    /** The tunnel of the connection that carries this HTTP/2 stream, or null when it is none (or not a stream). */
    static Tunnel tunnel(Channel channel) {
        return channel.parent() instanceof SocketChannel connection && connection.hasAttr(TUNNEL)
                ? connection.attr(TUNNEL).get() : null;
    }
}
