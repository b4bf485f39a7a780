package io.ssebroker.callback;

import io.ssebroker.config.RedactedUrl;
import java.net.URI;

/**
 * Where the posts to a webhook URL connect: scheme, host and port. The key under which the client keeps its idle
 * connections, so that posts to the same origin share them whatever their paths.
 */
record WebhookOrigin(boolean tls, String host, int port) {

    /** The origin of an {@code http://} or {@code https://} URL with a host (the config checks both at start). */
    static WebhookOrigin of(URI url) {
        boolean tls = "https".equalsIgnoreCase(url.getScheme());
        int defaultPort = tls ? 443 : 80;
        if (url.getHost() != null) {
            return new WebhookOrigin(tls, url.getHost(), url.getPort() >= 0 ? url.getPort() : defaultPort);
        }
        // A name that is no Internet host name, which java.net.URI then leaves unparsed: a container's service name
        // with an underscore (hook_rx), which Docker's DNS resolves all the same.
        String hostAndPort = RedactedUrl.hostAndPort(url.getRawAuthority());
        int colon = hostAndPort.lastIndexOf(':');
        return colon < 0 ? new WebhookOrigin(tls, hostAndPort, defaultPort)
                : new WebhookOrigin(tls, hostAndPort.substring(0, colon), Integer.parseInt(hostAndPort.substring(colon + 1)));
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
