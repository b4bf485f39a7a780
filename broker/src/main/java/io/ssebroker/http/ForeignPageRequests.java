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
 * <ul>
 *   <li>A {@code Host} that is neither a loopback name nor the node's address ({@code server.address}, by default
 *       the listening host and port): a DNS name its owner rebound to
 *       127.0.0.1, so that the browser takes the node for the page's own site. Checked on every request, as a
 *       browser sends no other sign of a page to a plain-http site (no {@code Sec-Fetch-Site}, and no
 *       {@code Origin} on a GET of its own site); a back end on this host names the node by a loopback name.</li>
 *   <li>An {@code Origin} (only browsers send one) that is neither the node's own nor listed in
 *       {@code http.cors_origins} ({@code *} does not count: it opens the event streams to every site, not the
 *       publisher API).</li>
 *   <li>Without an {@code Origin}, a {@code Sec-Fetch-Site} that names another site (an image, a link).</li>
 * </ul>
 */
public final class ForeignPageRequests {
    private static final String SEC_FETCH_SITE = "sec-fetch-site";

    private final Cors cors;
    private final Authority nodeAddress;

    /** @param nodeAddress the node's address (host:port): {@code server.address}, or the listening host and port */
    ForeignPageRequests(Cors cors, String nodeAddress) {
        this.cors = cors;
        this.nodeAddress = Authority.parse(nodeAddress);
    }

    /** @param secure whether the request came over TLS (its own origin is then https) */
    boolean isForeign(HttpHeaders headers, boolean secure) {
        String host = headers.get(HttpHeaderNames.HOST);
        if (host != null && !isLoopbackName(host) && !Authority.parse(host).names(nodeAddress, secure)) {
            return true;
        }
        String origin = headers.get(HttpHeaderNames.ORIGIN);
        if (origin != null) {
            return !(host != null && origin.equalsIgnoreCase((secure ? "https://" : "http://") + host.trim())
                    || cors.lists(origin));
        }
        String site = headers.get(SEC_FETCH_SITE);
        return site != null && !(site.equalsIgnoreCase("same-origin") || site.equalsIgnoreCase("none"));
    }

    /** {@code localhost}, a name under {@code .localhost}, or a loopback IP literal; with or without a port. */
    public static boolean isLoopbackName(String host) {
        String name = Authority.parse(host).name;
        return name.equals("localhost") || name.endsWith(".localhost") || isLoopbackAddress(name);
    }

    /** A host and port as {@code Host} or an address writes them: the name in lower case without a final dot. */
    private record Authority(String name, int port) {
        static Authority parse(String text) {
            String name = text.trim().toLowerCase(Locale.ROOT);
            int port = -1;
            if (name.startsWith("[")) {
                int end = name.indexOf(']');
                if (end > 0) {
                    port = portAfter(name, end + 1);
                    name = name.substring(1, end);
                }
            } else {
                int colon = name.lastIndexOf(':');
                // one colon: name:port; more: an IPv6 literal without brackets, its port (if any) not told apart
                if (colon >= 0 && name.indexOf(':') == colon) {
                    port = portAfter(name, colon);
                    name = name.substring(0, colon);
                } else if (colon >= 0 && isLoopbackAddress(name.substring(0, colon))) {
                    port = portAfter(name, colon);
                    name = name.substring(0, colon);
                }
            }
            if (name.endsWith(".")) {
                name = name.substring(0, name.length() - 1);
            }
            return new Authority(name, port);
        }

        private static int portAfter(String text, int colon) {
            if (colon >= text.length() || text.charAt(colon) != ':') {
                return -1;
            }
            try {
                return Integer.parseInt(text.substring(colon + 1));
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        /** Whether this (a request's Host) names that address: the same name, and its port or the scheme's default. */
        boolean names(Authority address, boolean secure) {
            int ownPort = port >= 0 ? port : secure ? 443 : 80;
            return !name.isEmpty() && name.equals(address.name) && (address.port < 0 || ownPort == address.port);
        }
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
