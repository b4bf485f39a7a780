package io.ssebroker.browser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.ssebroker.browser.DemoPage.LogLine;
import io.ssebroker.testing.BrowserTab;
import io.ssebroker.testing.Chromium;
import io.ssebroker.testing.TcpProxy;
import io.ssebroker.testing.TestNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The demo page in headless Chromium with the browser's own EventSource. The browser reaches the broker through a
 * proxy that the test can cut, to drop the connection the way a network does.
 */
class DemoPageBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static Chromium chromium;

    private TestNode node;
    private TcpProxy network;
    private BrowserTab tab;
    private DemoPage page;

    @BeforeAll
    static void startBrowser() throws IOException, InterruptedException {
        chromium = Chromium.launchOrSkip();
    }

    @AfterAll
    static void stopBrowser() {
        if (chromium != null) {
            chromium.close();
        }
    }

    @BeforeEach
    void openPage() throws InterruptedException {
        // A short retry keeps the browser's reconnects quick.
        node = TestNode.start(Map.of("sse.retry_ms", "300"));
        network = TcpProxy.to(node.port());
        tab = chromium.open("http://127.0.0.1:" + network.port() + "/");
        page = new DemoPage(tab);
    }

    @AfterEach
    void closePage() {
        if (tab != null) {
            tab.close();
        }
        if (network != null) {
            network.close();
        }
        if (node != null) {
            node.close();
        }
    }

    @Test
    void connectsAndReceivesAMessageAndACustomEvent() {
        assertThat(page.connect("alice", "phone-1")).isEqualTo("open");
        await().atMost(WAIT).until(() -> !page.received().isEmpty());
        assertThat(page.received().get(0).event()).isEqualTo("sys_connected");
        assertThat(page.received().get(0).data()).startsWith("127.0.0.1:");

        assertThat(page.sendToUser("alice", "", "hello alice\nsecond line").path("result").asInt()).isEqualTo(1);
        assertThat(page.sendToUser("alice", "chat", "a custom event").path("result").asInt()).isEqualTo(1);

        await().atMost(WAIT).until(() -> page.received().size() == 3);
        List<LogLine> received = page.received();
        assertThat(received).extracting(LogLine::event, LogLine::data).containsExactly(
                tuple("sys_connected", received.get(0).data()),
                tuple("message", "hello alice\nsecond line"),
                tuple("chat", "a custom event"));
        assertThat(received).extracting(LogLine::id).doesNotContain("").doesNotHaveDuplicates();
        assertThat(page.lastEventId()).isEqualTo(received.get(2).id());
        assertThat(page.state()).isEqualTo("open (readyState 1)");
    }

    @Test
    void connectingAgainResumesFromTheLastEventId() {
        assertThat(page.connect("dana", "phone-2")).isEqualTo("open");
        assertThat(page.sendToUser("dana", "", "before").path("result").asInt()).isEqualTo(1);
        await().atMost(WAIT).until(() -> page.received().stream().anyMatch(l -> l.data().equals("before")));
        tab.evaluate("window.demo.disconnect()");
        assertThat(page.sendToUser("dana", "", "while away").path("result").asInt()).isZero();

        assertThat(tab.evaluate("window.demo.connect()").path("state").asText()).isEqualTo("open");
        await().atMost(WAIT).until(() -> page.received().stream().anyMatch(l -> l.data().equals("while away")));
        assertThat(page.received()).extracting(LogLine::data).containsOnlyOnce("before", "while away");
    }

    @Test
    void replaysWhatWasSentWhileTheConnectionWasDown() {
        assertThat(page.connect("bob", "laptop-1")).isEqualTo("open");
        page.sendToUser("bob", "", "before the drop");
        await().atMost(WAIT).until(() -> page.received().size() == 2);

        network.cut();
        await().atMost(WAIT).until(() -> page.state().startsWith("connecting"));
        await().atMost(WAIT).until(() -> !online("bob"));
        node.api().send(Map.of("uid", "bob", "data", "while away 1"));
        node.api().send(Map.of("uid", "bob", "event", "notice", "data", "while away 2"));
        network.restore();

        await().atMost(WAIT).until(() -> page.received().size() == 5);
        assertThat(page.received()).extracting(LogLine::event, LogLine::data).containsExactly(
                tuple("sys_connected", page.received().get(0).data()),
                tuple("message", "before the drop"),
                tuple("sys_connected", page.received().get(2).data()),
                tuple("message", "while away 1"),
                tuple("notice", "while away 2"));
        assertThat(page.state()).isEqualTo("open (readyState 1)");
        assertThat(online("bob")).isTrue();
    }

    @Test
    void stopsReconnectingAfterAKick() throws InterruptedException {
        assertThat(page.connect("carol", "tablet-1")).isEqualTo("open");
        await().atMost(WAIT).until(() -> page.received().size() == 1);

        assertThat(page.kickUser("carol", "bye from the test").path("result").asInt()).isEqualTo(1);

        await().atMost(WAIT).until(() -> page.state().equals("closed (readyState 2)"));
        assertThat(page.received()).extracting(LogLine::event, LogLine::data)
                .endsWith(tuple("sys_kick_offline", "bye from the test"));
        // The page closes the stream on sys_kick_offline, and the frame told the browser to wait a day anyway.
        Thread.sleep(1_500);
        assertThat(eventStreamStatuses()).as("no reconnect").containsExactly(200);
        assertThat(online("carol")).isFalse();
    }

    /** The HTTP status of every answer the tab got to {@code /events}, in order, as the browser saw them. */
    private List<Integer> eventStreamStatuses() {
        return tab.events("Network.responseReceived").stream()
                .map(event -> event.path("response"))
                .filter(response -> response.path("url").asText().contains("/events?"))
                .map(response -> response.path("status").asInt())
                .toList();
    }

    private boolean online(String uid) {
        JsonNode info = node.api().get("/info", Map.of("uid", uid)).result();
        return info.path("online").asBoolean();
    }
}
