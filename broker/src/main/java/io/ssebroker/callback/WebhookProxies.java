package io.ssebroker.callback;

import io.netty.util.NetUtil;
import io.ssebroker.config.AddressRange;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.URI;
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
 * Which HTTP proxy a webhook post goes through, if any. Where the JVM has proxy settings ({@code https.proxyHost},
 * {@code http.proxyHost}, with {@code http.nonProxyHosts}; the system's with {@code java.net.useSystemProxies}), they
 * decide alone, as for the JDK's own HTTP client. Else the environment does, read as curl and Go programs read it:
 * {@code HTTPS_PROXY} for {@code https} URLs and {@code HTTP_PROXY} for {@code http} ones (the lower-case names too,
 * the upper-case one first; an empty value counts as unset), a proxy URL {@code [http://][user:password@]host[:port]}
 * whose credentials go as Basic authentication and whose port is 80 when it names none; {@code NO_PROXY} lists what
 * goes direct: host names (with their subdomains; with a leading dot or {@code *.}, subdomains only), IP addresses or
 * CIDR ranges, each optionally with a port, or {@code *} for everything. As in Go, {@code localhost} and loopback
 * addresses never go through the environment's proxy, and an entry of {@code NO_PROXY} that cannot be read is left
 * out (with a warning). SOCKS proxies are not used: a post the JVM would send through one connects directly, and a
 * warning says so once.
 */
final class WebhookProxies {
    private static final Logger log = LoggerFactory.getLogger(WebhookProxies.class);

    /** A proxy: where it is (its name unresolved) and the Basic credentials it asks for, or null. */
    record Via(InetSocketAddress address, String username, String password) {
        /** The {@code Proxy-Authorization} value of a request sent to the proxy, or null. */
        String authorization() {
            return username == null ? null : "Basic " + Base64.getEncoder()
                    .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String toString() { // never the password
            return address.getHostString() + ":" + address.getPort() + (username == null ? "" : " as " + username);
        }
    }

    /** The JVM's selector where the JVM has proxy settings, else null: the environment decides. */
    private final ProxySelector jvm;
    /** A SOCKS proxy was named and not used: said once. */
    private final AtomicBoolean socksSkipped = new AtomicBoolean();
    private final Via https;
    private final Via http;
    /** Null: {@code NO_PROXY} has {@code *}, nothing goes through the environment's proxy. */
    private final List<NoProxy> noProxy;

    /**
     * @param jvm         the JVM's proxy selector, which decides alone, or null to read the environment
     * @param environment the process's environment ({@link System#getenv()})
     * @throws IllegalArgumentException when a proxy variable is not an {@code http://} proxy URL (the message names the
     *                                  variable, never its credentials)
     */
    WebhookProxies(ProxySelector jvm, Map<String, String> environment) {
        this.jvm = jvm;
        this.https = parse(environment, "HTTPS_PROXY");
        this.http = parse(environment, "HTTP_PROXY");
        this.noProxy = parseNoProxy(variable(environment, "NO_PROXY"));
    }

    /** The JVM's proxy settings where it has some, else the process's environment. */
    static WebhookProxies ofJvmAndEnvironment() {
        boolean jvmSettings = System.getProperty("https.proxyHost") != null || System.getProperty("http.proxyHost") != null
                || Boolean.getBoolean("java.net.useSystemProxies");
        return new WebhookProxies(jvmSettings ? ProxySelector.getDefault() : null, System.getenv());
    }

    /** The proxy of an origin, or null: connect directly. May block (the system's settings): off the event loop. */
    Via forOrigin(WebhookOrigin origin) {
        if (jvm != null) {
            return jvmProxy(origin);
        }
        Via fromEnvironment = origin.tls() ? https : http;
        return fromEnvironment == null || goesDirect(origin) ? null : fromEnvironment;
    }

    private Via jvmProxy(WebhookOrigin origin) {
        List<Proxy> named = jvm.select(URI.create((origin.tls() ? "https://" : "http://") + origin.hostHeader()));
        for (Proxy proxy : named == null ? List.<Proxy>of() : named) {
            if (proxy.type() == Proxy.Type.HTTP && proxy.address() instanceof InetSocketAddress address) {
                return new Via(address, null, null);
            }
            if (proxy.type() == Proxy.Type.SOCKS && socksSkipped.compareAndSet(false, true)) {
                log.warn("the JVM names a SOCKS proxy for {}: the webhook does not use SOCKS proxies, and connects"
                        + " directly (as the JDK's HTTP client does)", origin.hostHeader());
            }
            if (proxy.type() != Proxy.Type.HTTP) {
                return null;
            }
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

    /** The entries of {@code NO_PROXY}, or null when one is {@code *}. */
    private static List<NoProxy> parseNoProxy(String exceptions) {
        List<NoProxy> parsed = new ArrayList<>();
        if (exceptions == null) {
            return parsed;
        }
        for (String raw : exceptions.split(",")) {
            String entry = raw.trim().toLowerCase(Locale.ROOT);
            if (entry.equals("*")) {
                return null;
            }
            if (!entry.isEmpty()) {
                try {
                    parsed.add(noProxyEntry(entry));
                } catch (IllegalArgumentException unreadable) {
                    log.warn("NO_PROXY entry '{}' left out: {}", entry, unreadable.getMessage());
                }
            }
        }
        return parsed;
    }

    private static NoProxy noProxyEntry(String entry) {
        int port = 0;
        int colon = entry.lastIndexOf(':');
        // a port after a name, an IPv4 address or a bracketed IPv6 one; a bare IPv6 address has colons of its own
        if (colon > 0 && entry.indexOf(':') == colon || entry.startsWith("[") && entry.contains("]:")) {
            port = port(entry.substring(colon + 1));
            entry = entry.substring(0, colon);
        }
        String bare = entry.startsWith("[") && entry.endsWith("]") ? entry.substring(1, entry.length() - 1) : entry;
        String address = bare.contains("/") ? bare.substring(0, bare.indexOf('/')) : bare;
        if (NetUtil.isValidIpV4Address(address) || NetUtil.isValidIpV6Address(address)) {
            return new NoProxy(AddressRange.parse(bare), null, false, port);
        }
        if (entry.startsWith("*.")) {
            entry = entry.substring(1);
        }
        if (!entry.matches("\\.?[a-z0-9_-]+(\\.[a-z0-9_-]+)*")) {
            throw new IllegalArgumentException("not a host name, an IP address or a CIDR range");
        }
        boolean subdomainsOnly = entry.startsWith(".");
        return new NoProxy(null, subdomainsOnly ? entry.substring(1) : entry, subdomainsOnly, port);
    }

    /**
     * A proxy URL, read by hand rather than by {@link URI}, which finds no host in names that Go and curl take (an
     * underscore, as in a compose service's name) nor in a password with an {@code @} left unescaped.
     */
    private static Via parse(Map<String, String> environment, String name) {
        String value = variable(environment, name);
        if (value == null) {
            return null;
        }
        String text = value.trim();
        int schemeEnd = text.indexOf("://");
        if (schemeEnd >= 0 && !text.substring(0, schemeEnd).equalsIgnoreCase("http")) {
            throw new IllegalArgumentException(name + " must name an HTTP proxy (http://[user:password@]host[:port]), not "
                    + text.substring(0, schemeEnd) + "://...: the webhook reaches proxies over plain HTTP only");
        }
        String authority = schemeEnd >= 0 ? text.substring(schemeEnd + 3) : text;
        int pathStart = authority.indexOf('/', authority.lastIndexOf('@') + 1);
        if (pathStart >= 0) {
            authority = authority.substring(0, pathStart); // a trailing slash, as some set it
        }
        String username = null;
        String password = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String[] credentials = authority.substring(0, at).split(":", 2);
            try {
                username = percentDecoded(credentials[0]);
                password = credentials.length > 1 ? percentDecoded(credentials[1]) : "";
            } catch (IllegalArgumentException e) { // its message would show part of them
                throw new IllegalArgumentException(name + " has credentials that are not percent-encoded text");
            }
            authority = authority.substring(at + 1);
        }
        String host = authority;
        int port = 80;
        int colon = authority.lastIndexOf(':');
        if (colon >= 0 && colon > authority.lastIndexOf(']')) {
            host = authority.substring(0, colon);
            try {
                port = port(authority.substring(colon + 1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + " names no port a proxy can have: " + e.getMessage());
            }
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (!NetUtil.isValidIpV6Address(host) && !host.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException(name + " names no proxy host (http://[user:password@]host[:port])");
        }
        return new Via(InetSocketAddress.createUnresolved(host, port), username, password);
    }

    private static int port(String digits) {
        if (!digits.matches("[0-9]{1,5}") || Integer.parseInt(digits) == 0 || Integer.parseInt(digits) > 65535) {
            throw new IllegalArgumentException("'" + digits + "' is not a port");
        }
        return Integer.parseInt(digits);
    }

    /** A URL's percent-encoded text decoded ({@code +} is a plus here, not a space as in a form). */
    private static String percentDecoded(String raw) {
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /**
     * A variable by its upper-case name, else its lower-case one; an empty value counts as unset. (curl reads only the
     * lower-case {@code http_proxy}, and prefers the lower-case names.)
     */
    private static String variable(Map<String, String> environment, String name) {
        for (String key : List.of(name, name.toLowerCase(Locale.ROOT))) {
            String value = environment.get(key);
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }
}
