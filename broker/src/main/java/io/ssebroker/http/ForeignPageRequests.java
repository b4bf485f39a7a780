package io.ssebroker.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.NetUtil;
import java.util.Locale;

/**
 * Tells a request that a web page of another site made through a browser on this host: such a request reaches the
 * node from the loopback address like a local back end's, and must not be served as local (a page anywhere on the
 * web could otherwise publish, kick and mint tokens through the browser of whoever runs a node on their machine).
 *
 * <p>Only browsers send {@code Origin} and {@code Sec-Fetch-Site}; a request without both (curl, a back end's HTTP
 * client) is not a page's. A browser's request is a foreign page's when its {@code Host} is not a loopback name (a
 * DNS name rebound to 127.0.0.1 by its owner), when its {@code Origin} is neither the node's own nor listed in
 * {@code http.cors_origins} ({@code *} does not count: it opens the event streams to every site, not the publisher
 * API), or, without an {@code Origin}, when {@code Sec-Fetch-Site} says another site sent it (an image or a link).
 */
final class ForeignPageRequests {
    private static final String SEC_FETCH_SITE = "sec-fetch-site";

    private ForeignPageRequests() {
    }

    static boolean isForeign(HttpHeaders headers, Cors cors) {
        String origin = headers.get(HttpHeaderNames.ORIGIN);
        String site = headers.get(SEC_FETCH_SITE);
        if (origin == null && site == null) {
            return false;
        }
        String host = headers.get(HttpHeaderNames.HOST);
        if (host == null || !isLoopbackName(host)) {
            return true;
        }
        if (origin != null) {
            return !(sameOrigin(origin, host) || cors.lists(origin));
        }
        return !(site.equalsIgnoreCase("same-origin") || site.equalsIgnoreCase("none"));
    }

    /** Whether an Origin ({@code scheme://host[:port]}) names the authority the request was sent to. */
    private static boolean sameOrigin(String origin, String host) {
        int separator = origin.indexOf("://");
        return separator > 0 && origin.substring(separator + 3).equalsIgnoreCase(host);
    }

    /** {@code localhost}, a name under {@code .localhost}, or a loopback IP literal; with or without a port. */
    static boolean isLoopbackName(String host) {
        String name = host.trim().toLowerCase(Locale.ROOT);
        if (name.startsWith("[")) {
            int end = name.indexOf(']');
            return end > 0 && isLoopbackAddress(name.substring(1, end));
        }
        int colon = name.lastIndexOf(':');
        if (colon >= 0) {
            name = name.substring(0, colon);
        }
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        return name.equals("localhost") || name.endsWith(".localhost") || isLoopbackAddress(name);
    }

    private static boolean isLoopbackAddress(String literal) {
        byte[] address = NetUtil.createByteArrayFromIpAddressString(literal);
        if (address == null) {
            return false;
        }
        if (address.length == 4) {
            return address[0] == 127;
        }
        for (int i = 0; i < 15; i++) {
            if (address[i] != 0) {
                return false;
            }
        }
        return address[15] == 1;
    }
}
