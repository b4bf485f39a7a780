package io.ssebroker.http;

import java.util.concurrent.CompletableFuture;

/** A publisher endpoint: its result goes into the envelope's {@code result}; failures are {@link ApiException}s. */
@FunctionalInterface
public interface PublisherEndpoint {
    CompletableFuture<Object> handle(ApiRequest request);
}
