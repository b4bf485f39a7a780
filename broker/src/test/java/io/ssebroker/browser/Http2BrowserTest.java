package io.ssebroker.browser;

import static io.ssebroker.testing.BrowserTab.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ssebroker.testing.BrowserTab;
import io.ssebroker.testing.Chromium;
import io.ssebroker.testing.TestCertificate;
import io.ssebroker.testing.TestNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Over HTTPS the browser speaks HTTP/2, so it is not limited to six open event streams per server. */
class Http2BrowserTest {
    /** More tabs than the six connections a browser opens to one server over HTTP/1.1. */
    private static final int TABS = 10;
    private static final String CONNECT = """
            (async () => {
              const token = (await (await fetch('/token?uid=many-tabs&device=' + %1$s)).json()).result;
              window.received = [];
              window.source = new EventSource('/events?device=' + %1$s + '&token=' + token);
              source.addEventListener('sys_connected', e => { window.clientAddress = e.data; });
              source.onmessage = e => received.push(e.data);
              return new Promise(resolve => { source.onopen = () => resolve(true); });
            })()""";

    private static Chromium chromium;
    private static TestCertificate certificate;

    @BeforeAll
    static void startBrowser() throws IOException, InterruptedException {
        chromium = Chromium.launchOrSkip();
        certificate = TestCertificate.forLoopback();
        chromium.acceptAnyCertificate();
    }

    @AfterAll
    static void stopBrowser() {
        if (chromium != null) {
            chromium.close();
        }
        if (certificate != null) {
            certificate.close();
        }
    }

    @Test
    void tenTabsStreamAtOnceOverOneConnection() throws InterruptedException {
        try (TestNode node = TestNode.start(Map.of("http.tls_cert", certificate.certificateFile().toString(),
                "http.tls_key", certificate.keyFile().toString()))) {
            String base = "https://127.0.0.1:" + node.port();
            List<BrowserTab> tabs = new ArrayList<>();
            try {
                for (int i = 0; i < TABS; i++) {
                    BrowserTab tab = chromium.open(base + "/");
                    tabs.add(tab);
                    assertThat(tab.evaluate(CONNECT.formatted(literal("tab-" + i))).asBoolean()).as("tab %d open", i).isTrue();
                }
                BrowserTab first = tabs.get(0);
                assertThat(first.evaluate("fetch('/send?uid=many-tabs&data=to%20all%20tabs').then(r => r.json())")
                        .path("result").asInt()).isEqualTo(TABS);
                for (BrowserTab tab : tabs) {
                    await().atMost(Duration.ofSeconds(10)).until(() -> tab.evaluate("received.length").asInt() == 1);
                    assertThat(tab.evaluate("received[0]").asText()).isEqualTo("to all tabs");
                    assertThat(tab.evaluate("clientAddress").asText()).as("one connection for all tabs")
                            .isEqualTo(first.evaluate("clientAddress").asText());
                    assertThat(eventStreamProtocols(tab)).containsExactly("h2");
                }
            } finally {
                tabs.forEach(BrowserTab::close);
            }
        }
    }

    /** The protocol of each answer to {@code /events} as the browser reports it. */
    private static List<String> eventStreamProtocols(BrowserTab tab) {
        return tab.events("Network.responseReceived").stream()
                .map(event -> event.path("response"))
                .filter(response -> response.path("url").asText().contains("/events?"))
                .map(response -> response.path("protocol").asText())
                .toList();
    }
}
