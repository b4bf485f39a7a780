package io.ssebroker.http;

import io.ssebroker.config.AddressRange;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The client addresses a chain of proxies recorded, leftmost (first) to rightmost (nearest): the entries of
 * {@code X-Forwarded-For}, or the {@code for=} parameters of RFC 7239 {@code Forwarded}. An entry that is not an IP
 * address ({@code unknown}, an obfuscated {@code _name}, garbage) is kept as null, so that whoever walks the chain
 * knows it cannot see past it. Every entry is kept (the header block is bounded by {@code limits.max_header_bytes}):
 * the entries that matter are the rightmost, written by the trusted proxies, behind whatever a client made up.
 */
final class ForwardedHops {
    private ForwardedHops() {
    }

    /** {@code X-Forwarded-For: 203.0.113.7, 198.51.100.2:8080, [2001:db8::1]:443}. */
    static List<InetAddress> xForwardedFor(List<String> headerLines) {
        List<InetAddress> hops = new ArrayList<>();
        for (String line : headerLines) {
            for (String entry : line.split(",", -1)) {
                hops.add(node(entry.trim()));
            }
        }
        return hops;
    }

    /**
     * {@code Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"}. A line that
     * ends inside a quoted string could have swallowed the elements a proxy appended to it: it ends the chain with
     * an unreadable hop, so that nothing to its left is believed.
     */
    static List<InetAddress> forwarded(List<String> headerLines) {
        List<InetAddress> hops = new ArrayList<>();
        for (String line : headerLines) {
            List<String> elements = new ArrayList<>();
            boolean closed = splitOutsideQuotes(line, ',', elements);
            for (String element : elements) {
                String forValue = null;
                List<String> pairs = new ArrayList<>();
                splitOutsideQuotes(element, ';', pairs);
                for (String pair : pairs) {
                    int equals = pair.indexOf('=');
                    if (equals > 0 && pair.substring(0, equals).trim().equalsIgnoreCase("for")) {
                        forValue = unquoted(pair.substring(equals + 1).trim());
                    }
                }
                if (forValue != null || !element.isBlank()) {
                    hops.add(forValue == null ? null : node(forValue));
                }
            }
            if (!closed) {
                hops.add(null);
            }
        }
        return hops;
    }

    /** One node: an address, optionally with a port ({@code 192.0.2.1:80}, {@code [2001:db8::1]:80}); else null. */
    static InetAddress node(String text) {
        String address = text;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || !(close == text.length() - 1 || text.charAt(close + 1) == ':')) {
                return null;
            }
            address = text.substring(1, close);
        } else if (text.indexOf(':') == text.lastIndexOf(':') && text.indexOf(':') > 0) {
            address = text.substring(0, text.indexOf(':')); // IPv4 with a port; a bare IPv6 has several colons
        }
        try {
            return AddressRange.literal(address);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A quoted-string's content, its quoted-pairs ({@code \\x}) taken as the characters they stand for. */
    private static String unquoted(String value) {
        if (value.length() < 2 || !value.startsWith("\"") || !value.endsWith("\"")) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 1; i < value.length() - 1; i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length() - 1) {
                c = value.charAt(++i);
            }
            out.append(c);
        }
        return out.toString();
    }

    /**
     * Splits at the separator where it is not inside a quoted string (with its backslash escapes); false when the
     * text ends inside one.
     */
    private static boolean splitOutsideQuotes(String text, char separator, List<String> parts) {
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted && c == '\\') {
                i++; // a quoted-pair: the next character is taken as it is
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == separator && !quoted) {
                parts.add(text.substring(start, i));
                start = i + 1;
            }
        }
        parts.add(text.substring(start));
        return !quoted;
    }
}
