package io.ssebroker.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;
import io.ssebroker.config.AddressRange;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;

/**
 * The client's address: the TCP peer's, unless the peer is a trusted proxy ({@code http.trusted_proxies}). Then the
 * chain the proxies recorded is walked from the right, the nearest hop first: trusted proxies are skipped and the
 * first address that is not one is the client. Entries to its left were written by the client itself and are never
 * believed. A chain that cannot be read (an entry that is not an address, or two headers that disagree) gives
 * null, "unknown". Whether a client is local is a separate question ({@link #isLocal}): only a direct loopback peer
 * whose request carries no forwarding header is.
 */
final class ClientAddress {
    /** Which header names the client, {@code http.client_address_header}. */
    enum Source {
        /** Whichever the proxy sent: {@code Forwarded}, {@code X-Forwarded-For}, or {@code X-Real-IP} alone. */
        AUTO, FORWARDED, X_FORWARDED_FOR, X_REAL_IP;

        static Source parse(String text) {
            return valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    private static final String X_FORWARDED_FOR = "X-Forwarded-For";
    private static final String FORWARDED = "Forwarded";
    private static final String X_REAL_IP = "X-Real-IP";

    private final List<AddressRange> trustedProxies;
    private final Source source;

    ClientAddress(List<AddressRange> trustedProxies, Source source) {
        this.trustedProxies = trustedProxies;
        this.source = source;
    }

    /**
     * The client of a request read on this channel (an HTTP/1.1 connection, or an HTTP/2 stream): the client whose
     * tunnel the connection is, if it is one ({@link ForwardedConnection}), else as {@link #resolve(InetSocketAddress,
     * HttpHeaders)} finds it.
     */
    InetSocketAddress resolve(Channel channel, HttpHeaders headers) {
        ForwardedConnection.Tunnel tunnel = ForwardedConnection.tunnel(channel);
        // an HTTP/2 stream's remote address is its connection's peer
        return tunnel != null ? tunnel.client() : resolve((InetSocketAddress) channel.remoteAddress(), headers);
    }

    /** The client's address with the peer's port, the peer itself when it is not a trusted proxy, or null: unknown. */
    InetSocketAddress resolve(InetSocketAddress peer, HttpHeaders headers) {
        if (peer == null || peer.getAddress() == null || !trusted(peer.getAddress())) {
            return peer;
        }
        Resolution resolution = switch (source) {
            case FORWARDED -> walk(ForwardedHops.forwarded(headers.getAll(FORWARDED)));
            case X_FORWARDED_FOR -> walk(ForwardedHops.xForwardedFor(headers.getAll(X_FORWARDED_FOR)));
            case X_REAL_IP -> realIp(headers);
            case AUTO -> auto(headers);
        };
        if (!resolution.present()) {
            return peer; // the proxy named nobody: the request is the proxy's own
        }
        return resolution.address == null ? null : new InetSocketAddress(resolution.address, peer.getPort());
    }

    /**
     * The headers the trusted proxy sent. A client can add the header its proxy does not manage, so every one that
     * is present must name the same client, or the client is unknown.
     */
    private Resolution auto(HttpHeaders headers) {
        Resolution agreed = Resolution.ABSENT;
        for (Resolution said : List.of(walk(ForwardedHops.forwarded(headers.getAll(FORWARDED))),
                walk(ForwardedHops.xForwardedFor(headers.getAll(X_FORWARDED_FOR))), realIp(headers))) {
            if (!said.present()) {
                continue;
            }
            if (said.address() == null || (agreed.present() && !said.address().equals(agreed.address()))) {
                return Resolution.UNKNOWN;
            }
            agreed = said;
        }
        return agreed;
    }

    /**
     * Whether the request comes from a process on this host: the TCP peer is loopback and the request carries none of
     * the forwarding headers ({@code Forwarded}, {@code X-Forwarded-For}, {@code X-Real-IP}), whichever
     * {@code http.client_address_header} names and whether or not the peer is a trusted proxy. A forwarded request is
     * never local, whatever its chain says: a chain is only as good as the configuration of every proxy that wrote
     * it, and a proxy on this host that is not listed among the trusted ones, or that writes another header than the
     * one configured, must not make every client it forwards local.
     */
    boolean isLocal(InetSocketAddress peer, HttpHeaders headers) {
        if (peer == null || peer.getAddress() == null || !peer.getAddress().isLoopbackAddress()) {
            return false;
        }
        return !carriesForwarding(headers);
    }

    /** Whether a proxy's forwarding header is on the request: {@code Forwarded}, {@code X-Forwarded-For} or {@code X-Real-IP}. */
    static boolean carriesForwarding(HttpHeaders headers) {
        return headers.contains(FORWARDED) || headers.contains(X_FORWARDED_FOR) || headers.contains(X_REAL_IP);
    }

    private Resolution realIp(HttpHeaders headers) {
        List<String> values = headers.getAll(X_REAL_IP);
        if (values.isEmpty()) {
            return Resolution.ABSENT;
        }
        return values.size() == 1 ? Resolution.of(ForwardedHops.node(values.get(0).trim())) : Resolution.UNKNOWN;
    }

    /** Right to left: the first hop that is not a trusted proxy; the leftmost when all are (a request from inside). */
    private Resolution walk(List<InetAddress> hops) {
        if (hops.isEmpty()) {
            return Resolution.ABSENT;
        }
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetAddress hop = hops.get(i);
            if (hop == null || !trusted(hop)) {
                return Resolution.of(hop);
            }
        }
        return Resolution.of(hops.get(0));
    }

    boolean trusted(InetAddress address) {
        for (AddressRange range : trustedProxies) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }

    static String format(InetSocketAddress address) {
        if (address == null) {
            return "unknown";
        }
        String host = address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** What a header says: an address, null for a chain that cannot be read, or {@link #ABSENT} when it is not there. */
    private record Resolution(InetAddress address, boolean present) {
        static final Resolution ABSENT = new Resolution(null, false);
        static final Resolution UNKNOWN = new Resolution(null, true);

        static Resolution of(InetAddress addressOrNull) {
            return new Resolution(addressOrNull, true);
        }
    }
}
