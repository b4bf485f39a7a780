package io.ssebroker.http;

import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The client's address: the peer's, unless the peer is a trusted proxy that names the client in
 * {@code X-Forwarded-For} (its first entry) or {@code X-Real-IP}.
 */
final class ClientAddress {
    private final Set<InetAddress> trustedProxies = new HashSet<>();

    ClientAddress(List<String> trustedProxies) {
        for (String proxy : trustedProxies) {
            this.trustedProxies.add(literal(proxy));
        }
    }

    InetSocketAddress resolve(InetSocketAddress peer, HttpHeaders headers) {
        if (peer == null || !trustedProxies.contains(peer.getAddress())) {
            return peer;
        }
        String forwarded = headers.get("X-Forwarded-For");
        String candidate = forwarded != null ? forwarded.split(",", 2)[0].trim() : headers.get("X-Real-IP");
        if (candidate == null || candidate.isBlank()) {
            return peer;
        }
        try {
            return new InetSocketAddress(literal(candidate.trim()), peer.getPort());
        } catch (IllegalArgumentException e) {
            return peer;
        }
    }

    static String format(InetSocketAddress address) {
        if (address == null) {
            return "unknown";
        }
        String host = address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** Parses an IP literal without ever asking DNS. */
    private static InetAddress literal(String ip) {
        String text = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
        if (!text.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException("not an IP address: " + ip);
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + ip, e);
        }
    }
}
