package io.ssebroker.config;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * A configured URL as it may be shown in logs, errors and {@code check-config}: without its user info and query,
 * where webhook and key-server addresses carry credentials ({@code https://user:token@host/path?key=...}).
 */
public final class RedactedUrl {
    private RedactedUrl() {
    }

    /** Scheme, host, port and path; what cannot be parsed is not shown at all. */
    public static String of(String url) {
        if (url.isEmpty()) {
            return url;
        }
        try {
            URI uri = new URI(url);
            String authority = uri.getRawAuthority();
            if (uri.getScheme() == null || authority == null) {
                return "<not a URL>";
            }
            return uri.getScheme() + "://" + hostAndPort(authority) + (uri.getRawPath() == null ? "" : uri.getRawPath());
        } catch (URISyntaxException e) {
            return "<not a URL>";
        }
    }

    /** The host and port of a URL's raw authority: what follows its user info, which may hold credentials. */
    public static String hostAndPort(String rawAuthority) {
        return rawAuthority.substring(rawAuthority.lastIndexOf('@') + 1);
    }
}
