package io.ssebroker.callback;

import java.net.URI;

/**
 * Where the posts to a webhook URL connect: scheme, host and port. The key under which the client keeps its idle
 * connections, so that posts to the same origin share them whatever their paths.
 */
record WebhookOrigin(boolean tls, String host, int port) {

    /** The origin of an {@code http://} or {@code https://} URL with a host (the config checks both at start). */
    static WebhookOrigin of(URI url) {
        boolean tls = "https".equalsIgnoreCase(url.getScheme());
        return new WebhookOrigin(tls, url.getHost(), url.getPort() >= 0 ? url.getPort() : tls ? 443 : 80);
    }

    /** The host to resolve and to check the server's certificate against: an IPv6 literal without its brackets. */
    String address() {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** The {@code Host} header: the port only where it is not the scheme's own. */
    String hostHeader() {
        return port == (tls ? 443 : 80) ? host : host + ":" + port;
    }
}
