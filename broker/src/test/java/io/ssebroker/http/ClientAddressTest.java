package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.ssebroker.config.AddressRange;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Who the client is behind proxies: every header shape, forged entries in front, IPv4 and IPv6, CIDR ranges. */
class ClientAddressTest {
    private static final InetSocketAddress PROXY = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress POD_PROXY = new InetSocketAddress("10.1.2.3", 40000);
    private static final InetSocketAddress V6_PROXY = new InetSocketAddress("fd00::7", 40000);
    private static final InetSocketAddress STRANGER = new InetSocketAddress("203.0.113.9", 40000);

    private final ClientAddress auto = address(ClientAddress.Source.AUTO, "127.0.0.1", "10.0.0.0/8", "fd00::/8");

    private static ClientAddress address(ClientAddress.Source source, String... trusted) {
        return new ClientAddress(List.of(trusted).stream().map(AddressRange::parse).toList(), source);
    }

    private static HttpHeaders headers(String... namesAndValues) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return headers;
    }

    private String resolve(ClientAddress address, InetSocketAddress peer, String... namesAndValues) {
        InetSocketAddress client = address.resolve(peer, headers(namesAndValues));
        return client == null ? "unknown" : client.getAddress().getHostAddress();
    }

    @Test
    void anUntrustedPeerIsTheClientWhateverItSays() {
        assertThat(resolve(auto, STRANGER, "X-Forwarded-For", "127.0.0.1")).isEqualTo("203.0.113.9");
        assertThat(resolve(auto, STRANGER, "Forwarded", "for=127.0.0.1")).isEqualTo("203.0.113.9");
        assertThat(resolve(auto, STRANGER, "X-Real-IP", "127.0.0.1")).isEqualTo("203.0.113.9");
    }

    @Test
    void theChainIsReadFromTheRightSoAForgedEntryInFrontIsNeverBelieved() {
        // nginx's $proxy_add_x_forwarded_for appends the real peer to whatever the client sent
        assertThat(resolve(auto, PROXY, "X-Forwarded-For", "127.0.0.1, 198.51.100.4")).isEqualTo("198.51.100.4");
        assertThat(resolve(auto, PROXY, "X-Forwarded-For", "127.0.0.1")).isEqualTo("127.0.0.1"); // the proxy's own
        assertThat(resolve(auto, PROXY, "X-Forwarded-For", "1.1.1.1, 127.0.0.1, 198.51.100.4, 10.9.9.9"))
                .isEqualTo("198.51.100.4"); // two trusted proxies on the right are skipped
        assertThat(resolve(auto, PROXY, "X-Forwarded-For", "127.0.0.1", "X-Forwarded-For", "198.51.100.4"))
                .as("header lines are one list").isEqualTo("198.51.100.4");
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            many.append("127.0.0.1, ");
        }
        assertThat(resolve(auto, PROXY, "X-Forwarded-For", many + "198.51.100.4")).isEqualTo("198.51.100.4");
    }

    @Test
    void entriesMayCarryPortsAndBrackets() {
        assertThat(resolve(auto, PROXY, "X-Forwarded-For", "198.51.100.4:5555")).isEqualTo("198.51.100.4");
        assertThat(resolve(auto, PROXY, "X-Forwarded-For", "[2001:db8::1]:443")).isEqualTo("2001:db8:0:0:0:0:0:1");
        assertThat(resolve(auto, PROXY, "X-Forwarded-For", "2001:db8::1")).isEqualTo("2001:db8:0:0:0:0:0:1");
        assertThat(resolve(auto, V6_PROXY, "X-Forwarded-For", "::1, 2001:db8::2")).isEqualTo("2001:db8:0:0:0:0:0:2");
    }

    @Test
    void rfc7239ForwardedIsReadTheSameWay() {
        assertThat(resolve(auto, PROXY, "Forwarded", "for=127.0.0.1, for=198.51.100.4;proto=https;by=10.0.0.1"))
                .isEqualTo("198.51.100.4");
        assertThat(resolve(auto, PROXY, "Forwarded", "For=\"[2001:db8:cafe::17]:4711\"")).isEqualTo("2001:db8:cafe:0:0:0:0:17");
        assertThat(resolve(auto, PROXY, "Forwarded", "for=\"198.51.100.4:80\";host=\"a,b\", for=10.0.0.2"))
                .as("a quoted comma does not split").isEqualTo("198.51.100.4");
        assertThat(resolve(auto, PROXY, "Forwarded", "for=unknown")).isEqualTo("unknown");
        assertThat(resolve(auto, PROXY, "Forwarded", "for=_hidden, for=198.51.100.4")).isEqualTo("198.51.100.4");
        assertThat(resolve(auto, PROXY, "Forwarded", "for=198.51.100.4, for=_hidden"))
                .as("an obfuscated hop nearer than the client hides it").isEqualTo("unknown");
    }

    @Test
    void anUnreadableHopMakesTheClientUnknownNotLocal() {
        assertThat(resolve(auto, PROXY, "X-Forwarded-For", "127.0.0.1, not-an-ip")).isEqualTo("unknown");
        assertThat(resolve(auto, PROXY, "X-Forwarded-For", "localhost")).isEqualTo("unknown");
        assertThat(resolve(auto, PROXY, "X-Forwarded-For", "999.1.1.1")).isEqualTo("unknown");
        assertThat(resolve(auto, PROXY, "X-Forwarded-For", "")).isEqualTo("unknown");
        assertThat(resolve(auto, PROXY, "X-Forwarded-For", "198.51.100.4,")).isEqualTo("unknown");
    }

    @Test
    void whenBothChainsArePresentTheyMustAgree() {
        // the proxy manages one of them; the client may have added the other
        assertThat(resolve(auto, PROXY, "Forwarded", "for=127.0.0.1", "X-Forwarded-For", "198.51.100.4"))
                .isEqualTo("unknown");
        assertThat(resolve(auto, PROXY, "Forwarded", "for=198.51.100.4", "X-Forwarded-For", "198.51.100.4"))
                .isEqualTo("198.51.100.4");
    }

    @Test
    void xRealIpMustAgreeWithAnyChainThatCameWithIt() {
        assertThat(resolve(auto, PROXY, "X-Real-IP", "198.51.100.4")).isEqualTo("198.51.100.4");
        // a proxy that sets only X-Real-IP passes on the X-Forwarded-For a client made up
        assertThat(resolve(auto, PROXY, "X-Real-IP", "198.51.100.4", "X-Forwarded-For", "127.0.0.1")).isEqualTo("unknown");
        assertThat(resolve(auto, PROXY, "X-Real-IP", "198.51.100.4", "X-Forwarded-For", "198.51.100.4"))
                .isEqualTo("198.51.100.4");
        assertThat(resolve(auto, PROXY, "X-Real-IP", "127.0.0.1", "X-Real-IP", "198.51.100.4")).isEqualTo("unknown");
    }

    @Test
    void aForwardedLineThatEndsInsideAQuoteHidesNothingBehindIt() {
        assertThat(resolve(auto, PROXY, "Forwarded", "for=127.0.0.1;x=\", for=203.0.113.7")).isEqualTo("unknown");
        assertThat(resolve(auto, PROXY, "Forwarded", "for=127.0.0.1;x=\"a\\\\\", for=203.0.113.7"))
                .as("an escaped backslash does not escape the quote").isEqualTo("203.0.113.7");
        assertThat(resolve(auto, PROXY, "Forwarded", "for=\"[2001:db8::\\1]\"")).isEqualTo("2001:db8:0:0:0:0:0:1");
    }

    @Test
    void onlyADirectLoopbackPeerIsLocal() {
        InetSocketAddress loopbackProxy = PROXY;
        assertThat(auto.isLocal(loopbackProxy, headers())).isTrue();
        assertThat(auto.isLocal(loopbackProxy, headers("X-Forwarded-For", "127.0.0.1"))).isFalse();
        assertThat(auto.isLocal(loopbackProxy, headers("X-Real-IP", "::1"))).isFalse();
        assertThat(auto.isLocal(POD_PROXY, headers("X-Forwarded-For", "127.0.0.1"))).isFalse();
        ClientAddress noProxies = address(ClientAddress.Source.AUTO);
        assertThat(noProxies.isLocal(loopbackProxy, headers())).isTrue();
        assertThat(noProxies.isLocal(loopbackProxy, headers("X-Forwarded-For", "203.0.113.9")))
                .as("a proxy on this host left out of the trusted ones forwards no local client").isFalse();
        assertThat(noProxies.isLocal(loopbackProxy, headers("Forwarded", "for=127.0.0.1"))).isFalse();
        assertThat(noProxies.isLocal(STRANGER, headers())).isFalse();
        ClientAddress realIp = address(ClientAddress.Source.X_REAL_IP, "127.0.0.1");
        assertThat(realIp.isLocal(loopbackProxy, headers("X-Forwarded-For", "203.0.113.9")))
                .as("a header other than the configured one still marks a forwarded request").isFalse();
        assertThat(realIp.isLocal(loopbackProxy, headers("Forwarded", "for=203.0.113.9"))).isFalse();
    }

    @Test
    void untrustedEntriesNeverReachAResolver() {
        // the JDK would look these names up; a header must not make the node ask DNS
        for (String name : new String[] {".1:2:3", "localhost", "example.com", "1.2.3", "0x7f.1", "::1%lo"}) {
            assertThat(ForwardedHops.node(name)).as(name).isNull();
        }
        assertThat(ForwardedHops.node("::ffff:10.0.0.1").getHostAddress()).isEqualTo("10.0.0.1");
    }

    @Test
    void aConfiguredHeaderIsTheOnlyOneRead() {
        ClientAddress xff = address(ClientAddress.Source.X_FORWARDED_FOR, "127.0.0.1");
        assertThat(resolve(xff, PROXY, "Forwarded", "for=198.51.100.4")).as("no chain: the proxy's own request")
                .isEqualTo("127.0.0.1");
        assertThat(resolve(xff, PROXY, "Forwarded", "for=127.0.0.1", "X-Forwarded-For", "198.51.100.4"))
                .isEqualTo("198.51.100.4");
        ClientAddress forwarded = address(ClientAddress.Source.FORWARDED, "127.0.0.1");
        assertThat(resolve(forwarded, PROXY, "Forwarded", "for=198.51.100.4", "X-Forwarded-For", "127.0.0.1"))
                .isEqualTo("198.51.100.4");
        ClientAddress realIp = address(ClientAddress.Source.X_REAL_IP, "127.0.0.1");
        assertThat(resolve(realIp, PROXY, "X-Real-IP", "198.51.100.4", "X-Forwarded-For", "127.0.0.1"))
                .isEqualTo("198.51.100.4");
    }

    @Test
    void cidrRangesTrustLoadBalancersAndPodNetworks() {
        assertThat(resolve(auto, POD_PROXY, "X-Forwarded-For", "198.51.100.4, 10.200.0.1")).isEqualTo("198.51.100.4");
        assertThat(resolve(auto, V6_PROXY, "X-Forwarded-For", "2001:db8::9")).isEqualTo("2001:db8:0:0:0:0:0:9");
        assertThat(resolve(auto, new InetSocketAddress("11.0.0.1", 1), "X-Forwarded-For", "127.0.0.1"))
                .isEqualTo("11.0.0.1");
        assertThat(AddressRange.parse("10.0.0.0/8").contains(POD_PROXY.getAddress())).isTrue();
        assertThat(AddressRange.parse("10.0.0.0/32").contains(POD_PROXY.getAddress())).isFalse();
        assertThat(AddressRange.parse("0.0.0.0/0").contains(STRANGER.getAddress())).isTrue();
        assertThat(AddressRange.parse("fd00::/8").contains(PROXY.getAddress())).as("no family crossing").isFalse();
    }

    @Test
    void perAddressCountsGroupIpv6ByItsSlash64() throws Exception {
        assertThat(AddressLimits.key(java.net.InetAddress.getByName("2001:db8:1:2:aaaa::1")))
                .isEqualTo(AddressLimits.key(java.net.InetAddress.getByName("2001:db8:1:2:bbbb::2")))
                .isEqualTo("2001:db8:1:2:0:0:0:0/64");
        assertThat(AddressLimits.key(null)).isEqualTo("unknown");
    }
}
