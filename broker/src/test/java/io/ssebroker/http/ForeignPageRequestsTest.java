package io.ssebroker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which requests to a node without API keys a browser made for a page of another site. */
class ForeignPageRequestsTest {
    private final ForeignPageRequests node = new ForeignPageRequests(new Cors(List.of("https://app.example")),
            "broker.internal:8080");

    @Test
    void aLoopbackNameOrTheNodesAddressIsLocalInEveryForm() {
        for (String host : List.of("127.0.0.1:8080", "127.1.2.3", "localhost", "LOCALHOST.:8080", "app.localhost:8080",
                "[::1]:8080", "::1", "::1:8080", "broker.internal:8080", "Broker.Internal.:8080")) {
            assertThat(node.isForeign(headers("Host", host), false)).as("Host: %s", host).isFalse();
        }
        assertThat(node.isForeign(new DefaultHttpHeaders(), false)).as("no Host: no browser").isFalse();
    }

    @Test
    void anotherNameIsARebindingWhateverElseTheRequestSays() {
        for (String host : List.of("evil.example:8080", "broker.internal:9090", "broker.internal", "localhost.evil",
                "127.0.0.1.evil", "[::2]:8080", "")) {
            assertThat(node.isForeign(headers("Host", host), false)).as("Host: %s", host).isTrue();
        }
        ForeignPageRequests onDefaultPort = new ForeignPageRequests(new Cors(List.of()), "broker.internal:443");
        assertThat(onDefaultPort.isForeign(headers("Host", "broker.internal"), true)).as("https's own port").isFalse();
        assertThat(onDefaultPort.isForeign(headers("Host", "broker.internal"), false)).isTrue();
    }

    @Test
    void anOriginMustBeTheNodesOwnWithItsSchemeOrListed() {
        assertThat(node.isForeign(headers("Host", "127.0.0.1:8080", "Origin", "http://127.0.0.1:8080"), false)).isFalse();
        assertThat(node.isForeign(headers("Host", "127.0.0.1:8080", "Origin", "https://127.0.0.1:8080"), true)).isFalse();
        assertThat(node.isForeign(headers("Host", "127.0.0.1:8080", "Origin", "https://127.0.0.1:8080"), false)).isTrue();
        assertThat(node.isForeign(headers("Host", "127.0.0.1:8080", "Origin", "https://app.example"), false)).isFalse();
        assertThat(node.isForeign(headers("Host", "127.0.0.1:8080", "Origin", "https://evil.example"), false)).isTrue();
        assertThat(node.isForeign(headers("Host", "127.0.0.1:8080", "Origin", "null"), false)).isTrue();
    }

    @Test
    void withoutAnOriginTheFetchSiteDecides() {
        for (String site : List.of("same-origin", "none", "NONE")) {
            assertThat(node.isForeign(headers("Host", "localhost", "Sec-Fetch-Site", site), false)).as(site).isFalse();
        }
        for (String site : List.of("same-site", "cross-site")) {
            assertThat(node.isForeign(headers("Host", "localhost", "Sec-Fetch-Site", site), false)).as(site).isTrue();
        }
    }

    private static HttpHeaders headers(String... namesAndValues) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return headers;
    }
}
