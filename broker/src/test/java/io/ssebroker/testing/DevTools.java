package io.ssebroker.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One WebSocket to the browser's DevTools endpoint. Commands for a tab carry its session id (flat sessions),
 * so all tabs share this connection; events are handed to the listeners with their session id.
 */
final class DevTools implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

    private final AtomicLong nextId = new AtomicLong();
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<Consumer<JsonNode>> listeners = new CopyOnWriteArrayList<>();
    private volatile WebSocket socket;

    private DevTools() {
    }

    static DevTools connect(URI endpoint) {
        DevTools devTools = new DevTools();
        devTools.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .buildAsync(endpoint, devTools.new Receiver())
                .join();
        return devTools;
    }

    /** Sends a command (to a tab when {@code sessionId} is given) and waits for its result. */
    JsonNode call(String sessionId, String method, Map<String, ?> params) {
        long id = nextId.incrementAndGet();
        ObjectNode command = JSON.createObjectNode().put("id", id).put("method", method);
        command.set("params", JSON.valueToTree(params));
        if (sessionId != null) {
            command.put("sessionId", sessionId);
        }
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        try {
            synchronized (this) {
                // A WebSocket takes one outgoing message at a time.
                socket.sendText(JSON.writeValueAsString(command), true).get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            JsonNode reply = answer.get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (reply.has("error")) {
                throw new IllegalStateException(method + " failed: " + reply.get("error"));
            }
            return reply.path("result");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(method + " interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(method + " got no answer", e);
        } finally {
            pending.remove(id);
        }
    }

    /** Calls {@code listener} with every event ({@code method}, {@code params}, {@code sessionId}). */
    void onEvent(Consumer<JsonNode> listener) {
        listeners.add(listener);
    }

    @Override
    public void close() {
        socket.abort();
    }

    /** Reassembles messages that arrive in parts, then routes answers to their callers and events to the listeners. */
    private final class Receiver implements WebSocket.Listener {
        private final StringBuilder message = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            message.append(data);
            if (last) {
                dispatch(message.toString());
                message.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            failPending(new IllegalStateException("DevTools connection closed: " + statusCode + " " + reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            failPending(error);
        }

        private void dispatch(String text) {
            JsonNode json;
            try {
                json = JSON.readTree(text);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (json.has("id")) {
                CompletableFuture<JsonNode> answer = pending.get(json.get("id").asLong());
                if (answer != null) {
                    answer.complete(json);
                }
            } else {
                listeners.forEach(listener -> listener.accept(json));
            }
        }

        private void failPending(Throwable error) {
            pending.values().forEach(answer -> answer.completeExceptionally(error));
        }
    }
}
