package io.ssebroker.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The publisher API of an sse-broker node ({@code /send}, {@code /kick}, {@code /info}, {@code /token},
 * {@code /readyz}) over {@link HttpClient}. Every call comes as a {@link CompletableFuture} ({@code ...Async}) and
 * as a blocking call; failures are {@link SseBrokerException}s (a {@link CompletionException} wrapping one for the
 * futures). Calls that are safe to repeat (reads, tokens, sends that carry an idempotency key) are retried with
 * backoff when the broker is unavailable; the others only when no connection could be made (the request was not
 * sent), since a call that timed out may have been carried out. Thread-safe: make one instance per broker and share it (clients built without an HttpClient of their
 * own share one per connect timeout, so that extra instances cost no threads).
 */
public final class SseBrokerClient {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    /** The longest pause between two attempts, however many were made. */
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final URI baseUrl;
    private final String apiKey;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final int maxRetries;
    private final Duration retryBackoff;

    private SseBrokerClient(Builder builder) {
        String url = builder.baseUrl.toString();
        this.baseUrl = URI.create(url.endsWith("/") ? url : url + "/");
        this.apiKey = builder.apiKey;
        this.http = builder.http != null ? builder.http : SharedHttpClients.forConnectTimeout(builder.connectTimeout);
        this.requestTimeout = builder.requestTimeout;
        this.maxRetries = builder.maxRetries;
        this.retryBackoff = builder.retryBackoff;
    }

    /** A client of the node at {@code baseUrl} ({@code http://127.0.0.1:8080}). */
    public static Builder builder(URI baseUrl) {
        return new Builder(baseUrl);
    }

    // ---- send ---------------------------------------------------------------------------------------------------

    /** Publishes one message; the answer is the number of target devices online when it was accepted. */
    public CompletableFuture<Integer> sendAsync(Message message) {
        if (message == null) {
            return missing("message");
        }
        return call("send", body(message), message.idempotencyKey() != null, JsonNode::asInt);
    }

    public int send(Message message) {
        return await(sendAsync(message));
    }

    /**
     * Publishes several messages in one request; one result per message, in order. Retried as a whole only when
     * every message carries an idempotency key. The broker refuses the whole batch (413) when its messages have more
     * than its {@code limits.max_targets} uids plus devices together, a broadcast counting one.
     */
    public CompletableFuture<List<BatchResult>> sendBatchAsync(List<Message> messages) {
        if (messages == null || messages.stream().anyMatch(Objects::isNull)) {
            return missing("a message");
        }
        List<Map<String, Object>> items = messages.stream().map(SseBrokerClient::body).toList();
        boolean allKeyed = messages.stream().allMatch(m -> m.idempotencyKey() != null);
        return call("send", items, allKeyed, result -> {
            // an answer of another shape (a broker without batches: go-sse-broker) must not read as no results
            if (!result.isArray() || result.size() != messages.size()) {
                throw new IllegalStateException("a batch of " + messages.size() + " messages was answered " + result);
            }
            List<BatchResult> results = new ArrayList<>();
            for (JsonNode item : result) {
                results.add(new BatchResult(item.path("code").asInt(), item.path("msg").asText(),
                        item.path("result").asInt()));
            }
            return results;
        });
    }

    public List<BatchResult> sendBatch(List<Message> messages) {
        return await(sendBatchAsync(messages));
    }

    // ---- kick ---------------------------------------------------------------------------------------------------

    /** Ends connections and revokes earlier tokens; the answer is the number of connections ended. Never retried. */
    public CompletableFuture<Integer> kickAsync(Kick kick) {
        if (kick == null) {
            return missing("kick");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        putList(body, "uid", kick.uids());
        putList(body, "device", kick.devices());
        if (kick.data() != null) {
            body.put("data", kick.data());
        }
        return call("kick", body, false, JsonNode::asInt);
    }

    public int kick(Kick kick) {
        return await(kickAsync(kick));
    }

    // ---- tokens -------------------------------------------------------------------------------------------------

    /**
     * A connect token minted by the broker for {@code uid}, bound to {@code device} when it is not null, living
     * {@code ttl} (null: the broker's default). To mint tokens without a call, see {@link ConnectTokens}.
     */
    public CompletableFuture<String> tokenAsync(String uid, String device, Duration ttl) {
        if (uid == null || (ttl != null && (ttl.isNegative() || ttl.isZero()))) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("uid is required, and a ttl must be positive"));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("uid", uid);
        if (device != null) {
            body.put("device", device);
        }
        if (ttl != null) {
            body.put("ttl", (ttl.toMillis() + 999) / 1000); // whole seconds, rounded up
        }
        return call("token", body, true, JsonNode::asText);
    }

    public String token(String uid, String device, Duration ttl) {
        return await(tokenAsync(uid, device, ttl));
    }

    // ---- presence -----------------------------------------------------------------------------------------------

    public CompletableFuture<DeviceInfo> deviceAsync(String device) {
        if (device == null) {
            return missing("device");
        }
        return info(Map.of("device", device), DeviceInfo.class);
    }

    public DeviceInfo device(String device) {
        return await(deviceAsync(device));
    }

    public CompletableFuture<UserInfo> userAsync(String uid) {
        if (uid == null) {
            return missing("uid");
        }
        return info(Map.of("uid", uid), UserInfo.class);
    }

    public UserInfo user(String uid) {
        return await(userAsync(uid));
    }

    /** One node by its address ({@code host:port} as {@code /info} shows it). */
    public CompletableFuture<NodeInfo> nodeAsync(String address) {
        if (address == null) {
            return missing("address");
        }
        return info(Map.of("address", address), NodeInfo.class);
    }

    public NodeInfo node(String address) {
        return await(nodeAsync(address));
    }

    public CompletableFuture<ClusterInfo> clusterAsync() {
        return info(Map.of(), ClusterInfo.class);
    }

    public ClusterInfo cluster() {
        return await(clusterAsync());
    }

    // ---- health -------------------------------------------------------------------------------------------------

    /** {@code /readyz}: empty when the node is ready, else why not (the broker's reason, or the failure to ask). */
    public CompletableFuture<java.util.Optional<String>> notReadyAsync() {
        return notReadyAsync(requestTimeout);
    }

    /**
     * The same, the request given up after {@code timeout} (a health probe's own, shorter than a call's: a broker
     * that does not answer leaves no request of an earlier probe still waiting).
     */
    public CompletableFuture<java.util.Optional<String>> notReadyAsync(Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(baseUrl.resolve("readyz")).timeout(timeout).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> response.statusCode() == 200 ? java.util.Optional.<String>empty()
                        : java.util.Optional.of(reason(response)))
                .exceptionally(error -> java.util.Optional.of("unreachable: " + rootCause(error)));
    }

    public java.util.Optional<String> notReady() {
        return await(notReadyAsync());
    }

    // ---- the exchange -------------------------------------------------------------------------------------------

    private <T> CompletableFuture<T> info(Map<String, Object> selector, Class<T> type) {
        return call("info", selector, true, result -> JSON.convertValue(result, type));
    }

    private <T> CompletableFuture<T> call(String endpoint, Object body, boolean safeToRetry, Function<JsonNode, T> result) {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("cannot write the request as JSON", e));
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(baseUrl.resolve(endpoint))
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json));
        if (apiKey != null) {
            request.header("X-API-Key", apiKey);
        }
        Attempts attempts = new Attempts(request.build(), safeToRetry);
        CompletableFuture<T> call = new CompletableFuture<>();
        // Completed by its caller (cancelled, timed out with orTimeout, completed with a value of their own) or as a
        // blocking call is interrupted, the call stops: the exchange in flight is aborted and no attempt follows. The
        // caller has given up on it, and a retry landing later would act after that. Completed by its answer, there is
        // nothing left to stop.
        call.whenComplete((value, error) -> attempts.stop());
        attempts.next(maxRetries, retryBackoff).thenApply(answer -> {
            try {
                return result.apply(answer);
            } catch (RuntimeException e) {
                throw new SseBrokerException(200, "the broker's answer does not have the expected shape: " + e.getMessage(), e);
            }
        }).whenComplete((value, error) -> {
            if (error != null) {
                call.completeExceptionally(error);
            } else {
                call.complete(value);
            }
        });
        return call;
    }

    /** The attempts of one call, and the exchange in flight, which {@link #stop} aborts. */
    private final class Attempts {
        private final HttpRequest request;
        private final boolean safeToRetry;
        private final AtomicReference<CompletableFuture<HttpResponse<String>>> inFlight = new AtomicReference<>();
        private volatile boolean stopped;

        Attempts(HttpRequest request, boolean safeToRetry) {
            this.request = request;
            this.safeToRetry = safeToRetry;
        }

        void stop() {
            stopped = true;
            CompletableFuture<HttpResponse<String>> exchange = inFlight.get();
            if (exchange != null) {
                exchange.cancel(true);
            }
        }

        /**
         * Sends, and sends again after a pause when attempts are left and the request never reached the broker (no
         * connection could be made: safe for any call), or, for a call that is safe to repeat, the broker was
         * unavailable. Nothing is sent once the call was stopped.
         */
        CompletableFuture<JsonNode> next(int retriesLeft, Duration backoff) {
            if (stopped) {
                return CompletableFuture.failedFuture(new CancellationException("the call was cancelled"));
            }
            CompletableFuture<HttpResponse<String>> exchange =
                    http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
            inFlight.set(exchange);
            if (stopped) {
                exchange.cancel(true); // stopped while it was being sent
            }
            return exchange.handle(this::answer)
                    .handle((result, error) -> againOrDone(result, error, retriesLeft, backoff))
                    .thenCompose(Function.identity());
        }

        /** The broker's answer, or the failure to get one as an exception that says whether it was sent. */
        private JsonNode answer(HttpResponse<String> response, Throwable error) {
            if (error == null) {
                return envelope(response);
            }
            Throwable cause = unwrapped(error);
            if (cause instanceof javax.net.ssl.SSLException) {
                // a certificate or protocol mismatch: trying again cannot help
                throw new SseBrokerException(0, "TLS with " + request.uri() + " failed: " + rootCause(cause), cause);
            }
            throw new UnavailableException(0, (notSent(cause) ? "cannot connect to " : "no answer from ")
                    + request.uri() + ": " + rootCause(cause), cause);
        }

        private CompletableFuture<JsonNode> againOrDone(JsonNode result, Throwable error, int retriesLeft,
                                                        Duration backoff) {
            Throwable cause = unwrapped(error);
            if (cause == null) {
                return CompletableFuture.completedFuture(result);
            }
            boolean again = cause instanceof UnavailableException unavailable
                    && (safeToRetry || notSent(cause.getCause()) || notCarriedOut(unavailable.status()));
            Duration asked = cause instanceof UnavailableException unavailable
                    ? unavailable.retryAfter().orElse(Duration.ZERO) : Duration.ZERO;
            // an answer that asks for a longer wait than the client's longest pause is left to the caller
            if (!again || retriesLeft <= 0 || stopped || asked.compareTo(MAX_BACKOFF) > 0) {
                return CompletableFuture.failedFuture(cause);
            }
            // half to all of the backoff, so that publishers refused together do not come back together; not before
            // the answer's Retry-After
            long pause = Math.max(asked.toMillis(),
                    backoff.toMillis() / 2 + ThreadLocalRandom.current().nextLong(backoff.toMillis() / 2 + 1));
            Duration doubled = backoff.multipliedBy(2);
            Duration longer = doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
            Executor afterThePause = CompletableFuture.delayedExecutor(pause, TimeUnit.MILLISECONDS);
            return CompletableFuture.supplyAsync(() -> null, afterThePause)
                    .thenCompose(paused -> next(retriesLeft - 1, longer));
        }
    }

    /** An async call's argument that is null: a failed future, as the call's other failures, not a throw. */
    private static <T> CompletableFuture<T> missing(String what) {
        return CompletableFuture.failedFuture(new IllegalArgumentException(what + " is null"));
    }

    private static Throwable unwrapped(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    /**
     * Statuses that say the request was refused before it was looked at, and may be sent again whatever it is: 429 (the
     * broker's per-connection body budget of HTTP/2 or its per-address limits, or a proxy's rate limit) and 408 (the
     * request did not arrive whole in time).
     */
    private static boolean notCarriedOut(int status) {
        return status == 429 || status == 408;
    }

    /** No connection to the broker could be made: the request was not sent, and may be sent again whatever it is. */
    private static boolean notSent(Throwable failure) {
        return failure instanceof ConnectException || failure instanceof HttpConnectTimeoutException;
    }

    private static Duration retryAfter(HttpResponse<String> response) {
        return RetryAfter.parse(response.headers().firstValue("Retry-After").orElse(null), Instant.now());
    }

    /** The result of the broker's envelope {@code {code, msg, micro, result}}, or the exception its status names. */
    private static JsonNode envelope(HttpResponse<String> response) {
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            body = null;
        }
        if (body == null || !body.has("code")) {
            throw SseBrokerException.forStatus(response.statusCode(), retryAfter(response), "unexpected answer " + response.statusCode()
                    + " (not the broker's JSON envelope): " + abbreviate(response.body()));
        }
        if (response.statusCode() == 200 && body.path("code").asInt() == 1) {
            return body.path("result");
        }
        throw SseBrokerException.forStatus(response.statusCode(), retryAfter(response), body.path("msg").asText());
    }

    private static String reason(HttpResponse<String> response) {
        try {
            JsonNode body = JSON.readTree(response.body());
            if (body != null && body.has("msg")) {
                return body.path("msg").asText();
            }
        } catch (IOException e) {
            // not the envelope: the status says enough
        }
        return "status " + response.statusCode();
    }

    private static Map<String, Object> body(Message message) {
        Map<String, Object> body = new LinkedHashMap<>();
        putList(body, "uid", message.uids());
        putList(body, "device", message.devices());
        if (message.event() != null) {
            body.put("event", message.event());
        }
        body.put("data", message.data());
        if (message.idempotencyKey() != null) {
            body.put("idempotency_key", message.idempotencyKey());
        }
        return body;
    }

    private static void putList(Map<String, Object> body, String field, java.util.Set<String> values) {
        if (!values.isEmpty()) {
            body.put(field, List.copyOf(values));
        }
    }

    /**
     * The outcome of a blocking call, its failure thrown with the caller's stack (the future failed on a thread of the
     * HttpClient). An interrupt cancels the call (an attempt already sent may still be carried out).
     */
    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new SseBrokerException(0, "interrupted while waiting for the broker", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException unchecked) {
                unchecked.fillInStackTrace();
                throw unchecked;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new SseBrokerException(0, "the call failed: " + rootCause(cause), cause);
        }
    }

    private static String rootCause(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
    }

    private static String abbreviate(String text) {
        return text == null ? "" : text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    /** Settings of a client; only the URL is required. */
    public static final class Builder {
        private final URI baseUrl;
        private String apiKey;
        private HttpClient http;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private int maxRetries = 2;
        private Duration retryBackoff = Duration.ofMillis(200);

        private Builder(URI baseUrl) {
            this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
        }

        /** One of the broker's {@code auth.api_keys}; without one, only a broker on the same host answers. */
        public Builder apiKey(String key) {
            this.apiKey = key == null || key.isBlank() ? null : key.strip(); // a key read from a file ends with a newline
            return this;
        }

        /** An HttpClient of the application's own (proxy, TLS settings); the connect timeout is then its own. */
        public Builder httpClient(HttpClient client) {
            this.http = client;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** How long one attempt may take; a /send to many users or a big batch takes longer than a read. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        /**
         * Retries of a call that is safe to repeat, and of any call that could not connect (default 2): after 100 to
         * 200 ms (half to all of {@link #retryBackoff}), then twice as long each time, at most 5 s. A blocking call can take up to (1 + retries) times the request timeout plus these.
         */
        public Builder maxRetries(int retries) {
            if (retries < 0) {
                throw new IllegalArgumentException("maxRetries must not be negative");
            }
            this.maxRetries = retries;
            return this;
        }

        /** The pause before the first retry (default 200 ms): half to all of it, then twice as long each time. */
        public Builder retryBackoff(Duration first) {
            this.retryBackoff = positive(first, "retryBackoff");
            return this;
        }

        private static Duration positive(Duration duration, String name) {
            if (duration == null || duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException(name + " must be a positive duration, not " + duration);
            }
            return duration;
        }

        public SseBrokerClient build() {
            String scheme = baseUrl.getScheme();
            if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || baseUrl.getHost() == null) {
                throw new IllegalArgumentException("the broker's URL must be http:// or https:// with a host: " + baseUrl);
            }
            return new SseBrokerClient(this);
        }
    }
}
