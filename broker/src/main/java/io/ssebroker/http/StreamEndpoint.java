package io.ssebroker.http;

import io.ssebroker.broker.StreamOpener;

/** The SSE endpoint: checks the request, then hands the connection to the broker through the opener. */
@FunctionalInterface
public interface StreamEndpoint {
    void handle(ApiRequest request, StreamOpener opener);
}
