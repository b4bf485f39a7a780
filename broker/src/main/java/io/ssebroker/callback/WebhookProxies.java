package io.ssebroker.callback;

import io.netty.util.NetUtil;
import io.ssebroker.config.AddressRange;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which HTTP proxy a webhook post goes through, if any. First the one the JVM's proxy settings name for the URL
 * ({@code https.proxyHost}, {@code http.proxyHost}, {@code http.nonProxyHosts}; the system's with
 * {@code java.net.useSystemProxies}), as the JDK's own HTTP client would use it. Else the one the environment names,
 * read as curl and Go programs read it: {@code HTTPS_PROXY} for {@code https} URLs and {@code HTTP_PROXY} for
 * {@code http} ones (lower-case names too), a proxy URL that may carry {@code user:password@} for Basic
 * authentication; {@code NO_PROXY} lists what goes direct: host names (with their subdomains; with a leading dot,
 * subdomains only), IP addresses or CIDR ranges, each optionally with a port, or {@code *} for everything. As in Go,
 * {@code localhost} and loopback addresses never go through the environment's proxy, and a proxy URL without a port
 * means port 80. SOCKS proxies are not used (the post connects directly, and a warning says so once).
 */
final class WebhookProxies {
    /** A proxy: where it is (its name unresolved) and the Basic credentials it asks for, or null. */
    record Via(InetSocketAddress address, String username, String password) {
        /** The {@code Proxy-Authorization} value of a request sent to the proxy, or null. */
        String authorization() {
            return username == null ? null : "Basic " + Base64.getEncoder()
                    .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static final Logger log = LoggerFactory.getLogger(WebhookProxies.class);

    private final ProxySelector jvm;
    /** A SOCKS proxy was named and not used: said once. */
    private final AtomicBoolean socksSkipped = new AtomicBoolean();
    private final Via https;
    private final Via http;
    /** Null: {@code NO_PROXY=*}, nothing goes through the environment's proxy. */
    private final List<NoProxy> noProxy;

    /**
     * @param jvm         the JVM's proxy selector ({@link ProxySelector#getDefault()}), or null
     * @param environment the process's environment ({@link System#getenv()})
     * @throws IllegalArgumentException when a proxy variable is not an {@code http://} proxy URL
     */
    WebhookProxies(ProxySelector jvm, Map<String, String> environment) {
        this.jvm = jvm;
        this.https = parse(environment, "HTTPS_PROXY");
        this.http = parse(environment, "HTTP_PROXY");
        String exceptions = variable(environment, "NO_PROXY");
        this.noProxy = exceptions != null && exceptions.trim().equals("*") ? null : parseNoProxy(exceptions);
    }

    /** The JVM's settings, then the process's environment. */
    static WebhookProxies ofJvmAndEnvironment() {
        return new WebhookProxies(ProxySelector.getDefault(), System.getenv());
    }

    /** The proxy of an origin, or null: connect directly. May block (the system's settings): off the event loop. */
    Via forOrigin(WebhookOrigin origin) {
        Via named = jvmProxy(origin);
        if (named != null) {
            return named;
        }
        Via fromEnvironment = origin.tls() ? https : http;
        return fromEnvironment == null || goesDirect(origin) ? null : fromEnvironment;
    }

    private Via jvmProxy(WebhookOrigin origin) {
        if (jvm == null) {
            return null;
        }
        List<Proxy> named = jvm.select(URI.create((origin.tls() ? "https://" : "http://") + origin.hostHeader()));
        for (Proxy proxy : named == null ? List.<Proxy>of() : named) {
            if (proxy.type() == Proxy.Type.HTTP && proxy.address() instanceof InetSocketAddress address) {
                return new Via(address, null, null);
            }
            if (proxy.type() == Proxy.Type.DIRECT) {
                return null;
            }
        }
        if (socksSkipped.compareAndSet(false, true)) {
            log.warn("the JVM names a SOCKS proxy for {}: the webhook does not use SOCKS proxies, and connects directly"
                    + " (as the JDK's HTTP client does)", origin.hostHeader());
        }
        return null;
    }

    private boolean goesDirect(WebhookOrigin origin) {
        String host = origin.address().toLowerCase(Locale.ROOT);
        InetAddress ip = NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host) ? AddressRange.literal(host) : null;
        if (host.equals("localhost") || (ip != null && ip.isLoopbackAddress()) || noProxy == null) {
            return true;
        }
        for (NoProxy exception : noProxy) {
            if (exception.matches(host, ip, origin.port())) {
                return true;
            }
        }
        return false;
    }

    /** One entry of {@code NO_PROXY}: a range of addresses or a domain, and a port (0: any). */
    private record NoProxy(AddressRange range, String domain, boolean subdomainsOnly, int port) {
        boolean matches(String host, InetAddress ip, int hostPort) {
            if (port != 0 && port != hostPort) {
                return false;
            }
            if (range != null) {
                return ip != null && range.contains(ip);
            }
            return host.endsWith("." + domain) || (!subdomainsOnly && host.equals(domain));
        }
    }

    private static List<NoProxy> parseNoProxy(String exceptions) {
        List<NoProxy> parsed = new ArrayList<>();
        if (exceptions == null) {
            return parsed;
        }
        for (String raw : exceptions.split(",")) {
            String entry = raw.trim().toLowerCase(Locale.ROOT);
            if (entry.isEmpty()) {
                continue;
            }
            int port = 0;
            int colon = entry.lastIndexOf(':');
            // a port after a name, an IPv4 address or a bracketed IPv6 one; a bare IPv6 address has colons of its own
            if (colon > 0 && entry.indexOf(':') == colon || entry.startsWith("[") && entry.contains("]:")) {
                String digits = entry.substring(colon + 1);
                if (digits.matches("[0-9]{1,5}")) {
                    port = Integer.parseInt(digits);
                    entry = entry.substring(0, colon);
                }
            }
            String bare = entry.startsWith("[") && entry.endsWith("]") ? entry.substring(1, entry.length() - 1) : entry;
            String address = bare.contains("/") ? bare.substring(0, bare.indexOf('/')) : bare;
            if (NetUtil.isValidIpV4Address(address) || NetUtil.isValidIpV6Address(address)) {
                parsed.add(new NoProxy(AddressRange.parse(bare), null, false, port));
                continue;
            }
            if (entry.startsWith("*.")) {
                entry = entry.substring(1);
            }
            boolean subdomainsOnly = entry.startsWith(".");
            parsed.add(new NoProxy(null, subdomainsOnly ? entry.substring(1) : entry, subdomainsOnly, port));
        }
        return parsed;
    }

    private static Via parse(Map<String, String> environment, String name) {
        String value = variable(environment, name);
        if (value == null || value.isBlank()) {
            return null;
        }
        String text = value.trim().contains("://") ? value.trim() : "http://" + value.trim();
        URI url;
        try {
            url = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(name + " is not a proxy URL: " + e.getMessage(), e);
        }
        if (!"http".equalsIgnoreCase(url.getScheme()) || url.getHost() == null) {
            throw new IllegalArgumentException(name + " must name an HTTP proxy (http://[user:password@]host[:port]), "
                    + "not " + url.getScheme() + "://...: the webhook reaches proxies over plain HTTP only");
        }
        String username = null;
        String password = null;
        if (url.getRawUserInfo() != null) {
            String[] parts = url.getRawUserInfo().split(":", 2);
            username = percentDecoded(parts[0]);
            password = parts.length > 1 ? percentDecoded(parts[1]) : "";
        }
        String host = url.getHost().startsWith("[") ? url.getHost().substring(1, url.getHost().length() - 1) : url.getHost();
        return new Via(InetSocketAddress.createUnresolved(host, url.getPort() < 0 ? 80 : url.getPort()), username, password);
    }

    /** A URL's percent-encoded text decoded ({@code +} is a plus here, not a space as in a form). */
    private static String percentDecoded(String raw) {
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** A variable by its upper-case name, else its lower-case one (curl reads only the lower-case {@code http_proxy}). */
    private static String variable(Map<String, String> environment, String name) {
        String upper = environment.get(name);
        return upper != null ? upper : environment.get(name.toLowerCase(Locale.ROOT));
    }
}
