package io.ssebroker.browser;

import static io.ssebroker.testing.BrowserTab.literal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.ssebroker.testing.BrowserTab;
import io.ssebroker.testing.Chromium;
import io.ssebroker.testing.TestNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The browser client served at {@code /client/sse-broker.js}, in tabs of one headless Chromium sharing one connection. */
class ClientLibraryBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    /** Records what the client reports in page globals the test reads back. */
    private static final String START_CLIENT = """
            (async () => {
              const { connect } = await import('/client/sse-broker.js');
              window.received = [];
              window.client = connect({ token: %s, device: %s });
              client.onMessage(e => received.push(e.data));
              client.onEvent('chat', e => received.push('chat: ' + e.data));
              client.onSystem(e => received.push(e.event + ': ' + e.data));
              return globalThis.SseBroker.connect === connect;
            })()""";
    /** Hides the Web Locks API, as in browsers without it, so that the client elects its leader by heartbeats. */
    private static final String WITHOUT_WEB_LOCKS = "Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined });";

    private static Chromium chromium;
    private final List<BrowserTab> tabs = new ArrayList<>();
    private TestNode node;

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
    void startNode() throws InterruptedException {
        node = TestNode.start(Map.of("sse.retry_ms", "300"));
    }

    @AfterEach
    void closeTabsAndNode() {
        tabs.forEach(BrowserTab::close);
        node.close();
    }

    @ParameterizedTest(name = "web locks: {0}")
    @ValueSource(booleans = {true, false})
    void tabsShareOneConnectionAndAnotherTabTakesOverWithoutLosingMessages(boolean webLocks) {
        String token = node.token("dana", "browser-1");
        BrowserTab first = clientTab(token, "browser-1", webLocks);
        await().atMost(WAIT).until(() -> status(first).equals("open, leader"));
        BrowserTab second = clientTab(token, "browser-1", webLocks);
        await().atMost(WAIT).until(() -> status(second).equals("open, follower"));

        assertThat(eventStreamRequests(first)).hasSize(1);
        assertThat(eventStreamRequests(second)).isEmpty();
        assertThat(devicesOnline("dana")).containsExactly("browser-1");

        node.api().send(Map.of("uid", "dana", "data", "to every tab"));
        node.api().send(Map.of("uid", "dana", "event", "chat", "data", "a custom event"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(received(first)).containsExactly(
                "sys_connected: " + connectedAddress(first), "to every tab", "chat: a custom event"));
        // The second tab opened after the connection did: it gets what arrived since.
        await().atMost(WAIT).untilAsserted(() -> assertThat(received(second)).containsExactly(
                "to every tab", "chat: a custom event"));
        String cursor = second.evaluate("client.lastEventId").asText();
        assertThat(cursor).isNotEmpty().isEqualTo(first.evaluate("client.lastEventId").asText());

        close(first);
        node.api().send(Map.of("uid", "dana", "data", "while the lead changes hands"));
        await().atMost(WAIT).until(() -> status(second).equals("open, leader"));
        String cursorAtTakeover = second.evaluate("client.lastEventId").asText();
        node.api().send(Map.of("uid", "dana", "data", "after the takeover"));

        await().atMost(WAIT).untilAsserted(() -> assertThat(received(second)).filteredOn(line -> !line.startsWith("sys_"))
                .containsExactly("to every tab", "chat: a custom event", "while the lead changes hands", "after the takeover"));
        // The new leader resumes from the last cursor it had: the one from before the first tab closed, or, when the
        // closing tab still passed on the message sent meanwhile, the cursor of that message as the first connection
        // numbered it (read at the takeover, unless the new connection had already written it again by then).
        String cursorOfTheNextMessage = nextUserOffset(cursor);
        assertThat(eventStreamRequests(second)).singleElement().asString().satisfiesAnyOf(
                request -> assertThat(request).contains("id=" + cursor),
                request -> assertThat(request).contains("id=" + cursorAtTakeover),
                request -> assertThat(request).contains("id=" + cursorOfTheNextMessage));
        assertThat(devicesOnline("dana")).containsExactly("browser-1");
    }

    /** The cursor of the user's next message on the same connection: {@code ….<user offset>.<broadcast offset>}. */
    private static String nextUserOffset(String cursor) {
        int broadcastDot = cursor.lastIndexOf('.');
        int userDot = cursor.lastIndexOf('.', broadcastDot - 1);
        long userOffset = Long.parseLong(cursor.substring(userDot + 1, broadcastDot), 36);
        return cursor.substring(0, userDot + 1) + Long.toString(userOffset + 1, 36) + cursor.substring(broadcastDot);
    }

    @Test
    void aKickStopsEveryTabForGood() throws InterruptedException {
        String token = node.token("erin", "browser-2");
        BrowserTab first = clientTab(token, "browser-2", true);
        await().atMost(WAIT).until(() -> status(first).equals("open, leader"));
        BrowserTab second = clientTab(token, "browser-2", true);
        await().atMost(WAIT).until(() -> status(second).equals("open, follower"));

        node.api().postForm("/kick", Map.of("uid", "erin", "data", "signed out"));

        for (BrowserTab tab : List.of(first, second)) {
            await().atMost(WAIT).until(() -> status(tab).startsWith("closed"));
            assertThat(received(tab)).last().isEqualTo("sys_kick_offline: signed out");
        }
        // Many retry periods later no tab has tried again.
        Thread.sleep(1_500);
        assertThat(eventStreamRequests(first)).hasSize(1);
        assertThat(eventStreamRequests(second)).isEmpty();
        assertThat(devicesOnline("erin")).isEmpty();
    }

    private BrowserTab clientTab(String token, String device, boolean webLocks) {
        BrowserTab tab = chromium.newTab();
        tabs.add(tab);
        if (!webLocks) {
            tab.runBeforeEachPage(WITHOUT_WEB_LOCKS);
        }
        tab.navigate(node.baseUrl() + "/");
        assertThat(tab.evaluate("navigator.locks !== undefined").asBoolean()).as("Web Locks API present").isEqualTo(webLocks);
        assertThat(tab.evaluate(START_CLIENT.formatted(literal(token), literal(device))).asBoolean())
                .as("the module's exports are also on the SseBroker global").isTrue();
        return tab;
    }

    private void close(BrowserTab tab) {
        tabs.remove(tab);
        tab.close();
    }

    private static String status(BrowserTab tab) {
        return tab.evaluate("client.state + (client.leader ? ', leader' : ', follower')").asText();
    }

    private static List<String> received(BrowserTab tab) {
        List<String> received = new ArrayList<>();
        tab.evaluate("received").forEach(line -> received.add(line.asText()));
        return received;
    }

    private static String connectedAddress(BrowserTab leader) {
        return received(leader).get(0).substring("sys_connected: ".length());
    }

    /** The URLs of the {@code /events} requests the tab made. */
    private static List<String> eventStreamRequests(BrowserTab tab) {
        return tab.events("Network.requestWillBeSent").stream()
                .map(event -> event.path("request").path("url").asText())
                .filter(url -> url.contains("/events?"))
                .toList();
    }

    private List<String> devicesOnline(String uid) {
        JsonNode info = node.api().get("/info", Map.of("uid", uid)).result();
        List<String> devices = new ArrayList<>();
        info.path("devices").forEach(device -> devices.add(device.path("device_name").asText()));
        return devices;
    }
}
