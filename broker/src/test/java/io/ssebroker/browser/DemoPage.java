package io.ssebroker.browser;

import static io.ssebroker.testing.BrowserTab.literal;

import com.fasterxml.jackson.databind.JsonNode;
import io.ssebroker.testing.BrowserTab;
import java.util.ArrayList;
import java.util.List;

/** The demo page at {@code /} as a user works it: its form fields, its buttons ({@code window.demo}) and its event log. */
final class DemoPage {
    /** One line of the page's event log: the event type ({@code message}, a custom name, {@code sys_…}, {@code state}, {@code error}). */
    record LogLine(String event, String id, String data) {
    }

    private final BrowserTab tab;

    DemoPage(BrowserTab tab) {
        this.tab = tab;
    }

    /** Mints a token for uid and device through the page, then connects its EventSource; returns the state it reached. */
    String connect(String uid, String device) {
        fill("uid", uid);
        fill("device", device);
        JsonNode minted = tab.evaluate("window.demo.mint()");
        if (minted.path("code").asInt() != 1) {
            throw new AssertionError("minting failed: " + minted);
        }
        return tab.evaluate("window.demo.connect()").path("state").asText();
    }

    /** Sends to one user through the page's form; returns the page's copy of the answer. */
    JsonNode sendToUser(String uid, String event, String data) {
        tab.evaluate("document.getElementById('send-mode-user').checked = true");
        fill("send-targets", uid);
        fill("send-event", event);
        fill("send-data", data);
        return tab.evaluate("window.demo.send()");
    }

    JsonNode kickUser(String uid, String data) {
        fill("kick-uid", uid);
        fill("kick-device", "");
        fill("kick-data", data);
        return tab.evaluate("window.demo.kick()");
    }

    /** The connection state as the page shows it, e.g. {@code open (readyState 1)}. */
    String state() {
        return tab.evaluate("document.getElementById('state').textContent").asText();
    }

    String lastEventId() {
        return tab.evaluate("document.getElementById('last-id').textContent").asText();
    }

    List<LogLine> log() {
        JsonNode lines = tab.evaluate("[...document.querySelectorAll('#log li')].map(li => ({event: li.dataset.event, "
                + "id: li.dataset.id, data: li.querySelector('.d').textContent}))");
        List<LogLine> log = new ArrayList<>();
        lines.forEach(line -> log.add(new LogLine(line.path("event").asText(), line.path("id").asText(),
                line.path("data").asText())));
        return log;
    }

    /** The log lines of events received from the broker (no state changes, no errors). */
    List<LogLine> received() {
        return log().stream().filter(line -> !line.event().equals("state") && !line.event().equals("error")).toList();
    }

    private void fill(String id, String value) {
        tab.evaluate("document.getElementById(" + literal(id) + ").value = " + literal(value));
    }
}
