package io.ssebroker.testing;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** One tab of a {@link Chromium}: loads pages, runs JavaScript in them and records what the tab did on the network. */
public final class BrowserTab implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DevTools devTools;
    private final String targetId;
    private final String sessionId;
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();

    BrowserTab(DevTools devTools, String targetId, String sessionId) {
        this.devTools = devTools;
        this.targetId = targetId;
        this.sessionId = sessionId;
        devTools.onEvent(event -> {
            if (sessionId.equals(event.path("sessionId").asText())) {
                events.add(event);
            }
        });
        call("Network.enable", Map.of());
        call("Page.enable", Map.of());
    }

    /** Loads {@code url} and waits until the page has loaded. */
    public void navigate(String url) {
        call("Page.navigate", Map.of("url", url));
        await().atMost(Duration.ofSeconds(15)).until(() ->
                evaluate("document.readyState === 'complete' && location.href === " + literal(url)).asBoolean());
    }

    /** Runs {@code source} in every page this tab loads from now on, before the page's own scripts. */
    public void runBeforeEachPage(String source) {
        call("Page.addScriptToEvaluateOnNewDocument", Map.of("source", source));
    }

    /**
     * Evaluates a JavaScript expression in the page and returns its value as JSON; a promise is awaited. A thrown
     * exception fails the test with the page's description of it.
     */
    public JsonNode evaluate(String expression) {
        JsonNode answer = call("Runtime.evaluate",
                Map.of("expression", expression, "awaitPromise", true, "returnByValue", true));
        if (answer.has("exceptionDetails")) {
            JsonNode details = answer.get("exceptionDetails");
            throw new AssertionError("JavaScript failed: " + details.path("exception").path("description")
                    .asText(details.path("text").asText()) + "\nin: " + expression);
        }
        return answer.path("result").path("value");
    }

    /** The {@code params} of every DevTools event of this tab named {@code method}, oldest first. */
    public List<JsonNode> events(String method) {
        return events.stream()
                .filter(event -> method.equals(event.path("method").asText()))
                .map(event -> event.path("params"))
                .toList();
    }

    /** Closes the tab as a user would: its page is unloaded and its connections end. */
    @Override
    public void close() {
        devTools.call(null, "Target.closeTarget", Map.of("targetId", targetId));
    }

    /** {@code value} written as a JavaScript literal (JSON is valid JavaScript). */
    public static String literal(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private JsonNode call(String method, Map<String, ?> params) {
        return devTools.call(sessionId, method, params);
    }
}
