package io.ssebroker.api;

import io.ssebroker.broker.BroadcastBacklog;
import io.ssebroker.broker.SystemEvents;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.EngineUnavailableException;
import io.ssebroker.engine.Failures;
import io.ssebroker.engine.Publication;
import io.ssebroker.http.ApiException;
import io.ssebroker.http.ApiRequest;
import io.ssebroker.http.BatchEndpoint;
import io.ssebroker.http.Params;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /send}: publishes a message to uids, devices, or everyone; answers with the target devices online, once
 * the message is accepted and the node's broadcast backlog has room. A JSON array body is a batch: each item is a
 * message of its own, and the answer is an array with one result per item. An idempotency key (parameter
 * {@code idempotency_key}, or the {@code Idempotency-Key} header for a single message) makes a repeat answer the
 * first result and deliver nothing more.
 */
public final class SendApi implements BatchEndpoint {
    private static final Logger log = LoggerFactory.getLogger(SendApi.class);
    static final String IDEMPOTENCY_KEY = "idempotency_key";
    static final String IDEMPOTENCY_HEADER = "Idempotency-Key";

    private final Engine engine;
    private final BroadcastBacklog backlog;
    private final BrokerConfig.Limits limits;

    public SendApi(Engine engine, BroadcastBacklog backlog, BrokerConfig.Limits limits) {
        this.engine = engine;
        this.backlog = backlog;
        this.limits = limits;
    }

    @Override
    public CompletableFuture<Object> handle(ApiRequest request) {
        if (request.params().isBatch()) {
            return batch(request);
        }
        String headerKey = request.header(IDEMPOTENCY_HEADER);
        Publication publication = publication(request.params(),
                headerKey == null || headerKey.isBlank() ? null : Fields.identifier(IDEMPOTENCY_HEADER, headerKey, true));
        return engine.publish(publication).thenCompose(online -> backlog.whenRoom().thenApply(room -> online));
    }

    /** One result per item, in order: {@code {code: 1, msg: "success", result: n}} or the item's error. */
    private CompletableFuture<Object> batch(ApiRequest request) {
        List<Params> items = request.params().items();
        if (items.isEmpty()) {
            throw new ApiException(400, "body: a batch needs at least one message");
        }
        if (items.size() > limits.maxTargets()) {
            throw new ApiException(413, "body: " + items.size() + " messages in one batch; at most "
                    + limits.maxTargets() + " (limits.max_targets)");
        }
        if (request.header(IDEMPOTENCY_HEADER) != null) {
            throw new ApiException(400, IDEMPOTENCY_HEADER + ": not for a batch; give each item its own "
                    + IDEMPOTENCY_KEY);
        }
        // The query string's fields are every item's (an item's own win), but one key for every item would make all
        // but the first repeats of it.
        if (request.params().has(IDEMPOTENCY_KEY)) {
            throw new ApiException(400, IDEMPOTENCY_KEY + ": not in the query string of a batch; give each item its own");
        }
        // Every item is read before any is published, so that a batch over the bound publishes nothing; a refused
        // item has its answer at once, a readable one gets the publication's.
        Publication[] publications = new Publication[items.size()];
        List<CompletableFuture<Map<String, Object>>> results = new ArrayList<>(items.size());
        int targets = 0;
        for (int i = 0; i < items.size(); i++) {
            try {
                items.get(i).requireReadable();
                publications[i] = publication(items.get(i), null);
                targets += targets(publications[i]);
                results.add(null);
            } catch (ApiException e) {
                results.add(CompletableFuture.completedFuture(result(e.status(), "item " + i + ": " + e.getMessage(), null)));
            }
        }
        // Query-string targets are every item's: without a bound on the sum, one request of a few kilobytes could
        // write max_targets squared streams.
        if (targets > limits.maxTargets()) {
            throw new ApiException(413, "body: the batch's messages have " + targets + " targets together (uids plus"
                    + " devices, a broadcast counting one); at most " + limits.maxTargets() + " (limits.max_targets)");
        }
        BatchOrder order = new BatchOrder();
        for (int i = 0; i < publications.length; i++) {
            if (publications[i] != null) {
                Publication publication = publications[i];
                CompletableFuture<Map<String, Object>> result = order.after(publication)
                        .thenCompose(earlier -> engine.publish(publication))
                        .handle((online, error) -> error == null ? success(online) : failure(error));
                order.published(publication, result);
                results.set(i, result);
            }
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                .thenCompose(done -> backlog.whenRoom())
                .thenApply(room -> allRefusedForNow(results.stream().map(CompletableFuture::join).toList()));
    }

    /**
     * The items' results; a 503 when every item was refused for now (Redis unreachable), as a single message is, so
     * that a client that reads the status alone does not take a batch of which nothing was accepted for a success.
     */
    private static List<Map<String, Object>> allRefusedForNow(List<Map<String, Object>> results) {
        if (results.stream().allMatch(item -> Integer.valueOf(503).equals(item.get("code")))) {
            throw new ApiException(503, "no message of the batch was accepted: " + results.get(0).get("msg"));
        }
        return results;
    }

    /** The streams a publication writes, as a batch counts them: its uids and devices, or one for a broadcast. */
    private static int targets(Publication publication) {
        return Math.max(1, publication.uids().size() + publication.devices().size());
    }

    private Publication publication(Params params, String headerKey) {
        String data = Fields.data(params, limits.maxMessageBytes());
        String event = Fields.eventName(params);
        if (event != null && event.startsWith(SystemEvents.RESERVED_PREFIX)) {
            throw new ApiException(400, "event: names starting with '" + SystemEvents.RESERVED_PREFIX + "' are reserved for system events");
        }
        Set<String> uids = Fields.identifierList(params, "uid");
        Set<String> devices = Fields.identifierList(params, "device");
        Fields.checkTargetCount(uids, devices, limits.maxTargets());
        String key = Fields.optionalIdentifierWithCommas(params, IDEMPOTENCY_KEY).orElse(headerKey);
        if (headerKey != null && !headerKey.equals(key)) {
            throw new ApiException(400, IDEMPOTENCY_KEY + ": differs from the " + IDEMPOTENCY_HEADER
                    + " header; give one key");
        }
        return new Publication(event, data, uids, devices, key);
    }

    private static Map<String, Object> success(int online) {
        return result(1, "success", online);
    }

    private static Map<String, Object> failure(Throwable error) {
        Throwable cause = Failures.cause(error);
        if (cause instanceof ApiException api) {
            return result(api.status(), api.getMessage(), null);
        }
        if (cause instanceof EngineUnavailableException) {
            return result(503, "engine unavailable: " + cause.getMessage(), null);
        }
        log.error("a message of a batch failed", cause);
        return result(500, "internal error", null);
    }

    private static Map<String, Object> result(int code, String message, Object result) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("code", code);
        item.put("msg", message);
        if (result != null) {
            item.put("result", result);
        }
        return item;
    }
}
