package io.ssebroker.callback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which proxy a webhook URL goes through: the JVM's settings first, then HTTPS_PROXY, HTTP_PROXY and NO_PROXY. */
class WebhookProxiesTest {
    private static final ProxySelector DIRECT = new ProxySelector() {
        @Override
        public List<Proxy> select(URI uri) {
            return List.of(Proxy.NO_PROXY);
        }

        @Override
        public void connectFailed(URI uri, SocketAddress address, IOException failure) {
        }
    };

    private static String proxyOf(WebhookProxies proxies, String url) {
        WebhookProxies.Via via = proxies.forOrigin(WebhookOrigin.of(URI.create(url)));
        return via == null ? null : via.address().getHostString() + ":" + via.address().getPort();
    }

    @Test
    void theJvmsSettingsDecideAloneElseTheEnvironmentBySchemeUpperCaseFirst() {
        Map<String, String> environment = Map.of("HTTPS_PROXY", "http://secure.corp:3128", "http_proxy", "plain.corp:8080",
                "https_proxy", "http://ignored.corp:1");
        assertThat(proxyOf(new WebhookProxies(ProxySelector.of(InetSocketAddress.createUnresolved("jvm.corp", 8888)),
                environment), "https://hooks.example.com/x")).isEqualTo("jvm.corp:8888");
        assertThat(proxyOf(new WebhookProxies(DIRECT, environment), "https://hooks.example.com/x"))
                .as("a host the JVM's settings send direct").isNull();
        WebhookProxies fromEnvironment = new WebhookProxies(null, environment);
        assertThat(proxyOf(fromEnvironment, "https://hooks.example.com/x")).isEqualTo("secure.corp:3128");
        assertThat(proxyOf(fromEnvironment, "http://hooks.example.com/x")).as("no scheme: http").isEqualTo("plain.corp:8080");
        assertThat(proxyOf(new WebhookProxies(null, Map.of("HTTP_PROXY", "http://plain.corp/")), "http://a.example/x"))
                .as("no port: 80").isEqualTo("plain.corp:80");
        assertThat(proxyOf(new WebhookProxies(null, Map.of("HTTP_PROXY", "http://plain.corp")), "https://a.example/x"))
                .as("https has a variable of its own").isNull();
        assertThat(proxyOf(new WebhookProxies(null, Map.of("HTTPS_PROXY", " ", "https_proxy", "lower.corp:3128")),
                "https://a.example/x")).as("an empty value counts as unset").isEqualTo("lower.corp:3128");
        assertThat(proxyOf(new WebhookProxies(null, Map.of("HTTPS_PROXY", "http://squid_proxy:3128")), "https://a.example/x"))
                .as("a compose service's name").isEqualTo("squid_proxy:3128");
        assertThat(proxyOf(new WebhookProxies(null, Map.of("HTTPS_PROXY", "http://[fd00::3]:3128")), "https://a.example/x"))
                .isEqualTo("fd00::3:3128");
        assertThat(proxyOf(new WebhookProxies(null, Map.of()), "https://a.example/x")).isNull();
    }

    @Test
    void credentialsInTheProxyUrlArePercentDecodedForBasicAuthentication() {
        WebhookProxies.Via via = new WebhookProxies(null, Map.of("HTTPS_PROXY", "http://us%40er:p+a%3Ass@proxy.corp:3128"))
                .forOrigin(WebhookOrigin.of(URI.create("https://hooks.example.com/x")));
        assertThat(via.username()).isEqualTo("us@er");
        assertThat(via.password()).isEqualTo("p+a:ss");
        assertThat(via.authorization()).isEqualTo("Basic "
                + Base64.getEncoder().encodeToString("us@er:p+a:ss".getBytes(StandardCharsets.UTF_8)));
        assertThat(via.toString()).as("never the password").doesNotContain("p+a:ss").contains("us@er");
        WebhookProxies.Via unescaped = new WebhookProxies(null, Map.of("HTTPS_PROXY", "http://user:p@ss@proxy.corp:3128"))
                .forOrigin(WebhookOrigin.of(URI.create("https://hooks.example.com/x")));
        assertThat(unescaped.password()).as("an @ left unescaped in the password").isEqualTo("p@ss");
        assertThat(unescaped.address().getHostString()).isEqualTo("proxy.corp");
        assertThat(new WebhookProxies(null, Map.of("HTTPS_PROXY", "proxy.corp:3128"))
                .forOrigin(WebhookOrigin.of(URI.create("https://hooks.example.com/x"))).authorization()).isNull();
    }

    @Test
    void noProxyNamesDomainsAddressesRangesAndPortsThatGoDirect() {
        WebhookProxies proxies = new WebhookProxies(null, Map.of("HTTPS_PROXY", "proxy.corp:3128",
                "NO_PROXY", " Example.com, .sub.net,*.star.io, 10.0.0.0/8,192.168.1.7, ported.org:8443, fd00::/8 "));
        assertThat(proxyOf(proxies, "https://example.com/x")).isNull();
        assertThat(proxyOf(proxies, "https://api.EXAMPLE.com/x")).as("a subdomain").isNull();
        assertThat(proxyOf(proxies, "https://notexample.com/x")).isEqualTo("proxy.corp:3128");
        assertThat(proxyOf(proxies, "https://sub.net/x")).as("a leading dot: subdomains only").isEqualTo("proxy.corp:3128");
        assertThat(proxyOf(proxies, "https://a.sub.net/x")).isNull();
        assertThat(proxyOf(proxies, "https://a.star.io/x")).isNull();
        assertThat(proxyOf(proxies, "https://star.io/x")).isEqualTo("proxy.corp:3128");
        assertThat(proxyOf(proxies, "https://10.1.2.3/x")).isNull();
        assertThat(proxyOf(proxies, "https://11.1.2.3/x")).isEqualTo("proxy.corp:3128");
        assertThat(proxyOf(proxies, "https://192.168.1.7:9000/x")).isNull();
        assertThat(proxyOf(proxies, "https://192.168.1.8/x")).isEqualTo("proxy.corp:3128");
        assertThat(proxyOf(proxies, "https://ported.org:8443/x")).isNull();
        assertThat(proxyOf(proxies, "https://ported.org/x")).as("another port").isEqualTo("proxy.corp:3128");
        assertThat(proxyOf(proxies, "https://[fd00::1]/x")).isNull();
        assertThat(proxyOf(proxies, "https://[fe80::1]/x")).isEqualTo("proxy.corp:3128");
    }

    @Test
    void localhostLoopbackAndNoProxyStarAlwaysGoDirect() {
        WebhookProxies proxies = new WebhookProxies(null, Map.of("HTTPS_PROXY", "proxy.corp:3128"));
        assertThat(proxyOf(proxies, "https://localhost:8443/x")).isNull();
        assertThat(proxyOf(proxies, "https://127.0.0.9/x")).isNull();
        assertThat(proxyOf(proxies, "https://[::1]/x")).isNull();
        assertThat(proxyOf(new WebhookProxies(null, Map.of("HTTPS_PROXY", "proxy.corp:3128", "no_proxy", "example.org, *")),
                "https://hooks.example.com/x")).as("* anywhere in the list").isNull();
    }

    @Test
    void noProxyEntriesThatCannotBeReadAreLeftOut() {
        WebhookProxies proxies = new WebhookProxies(null, Map.of("HTTPS_PROXY", "proxy.corp:3128",
                "NO_PROXY", "10.0.0.0/33,fe80::1%eth0,bad host,example.com:99999,,good.org"));
        assertThat(proxyOf(proxies, "https://10.1.1.1/x")).isEqualTo("proxy.corp:3128");
        assertThat(proxyOf(proxies, "https://example.com/x")).isEqualTo("proxy.corp:3128");
        assertThat(proxyOf(proxies, "https://good.org/x")).isNull();
    }

    @Test
    void aProxyThatIsNotPlainHttpIsRefusedWithTheVariablesName() {
        assertThatThrownBy(() -> new WebhookProxies(null, Map.of("HTTPS_PROXY", "https://proxy.corp:443")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HTTPS_PROXY").hasMessageContaining("https://");
        assertThatThrownBy(() -> new WebhookProxies(null, Map.of("http_proxy", "socks5://proxy.corp:1080")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HTTP_PROXY");
        assertThatThrownBy(() -> new WebhookProxies(null, Map.of("HTTP_PROXY", "http://proxy corp")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HTTP_PROXY");
        assertThatThrownBy(() -> new WebhookProxies(null, Map.of("HTTPS_PROXY", "http://user:s3cret@proxy.corp:99999")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HTTPS_PROXY")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> new WebhookProxies(null, Map.of("HTTPS_PROXY", "http://user:s3%zzcret@proxy.corp:3128")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HTTPS_PROXY")
                .hasMessageNotContaining("s3").hasMessageNotContaining("zz");
    }
}
