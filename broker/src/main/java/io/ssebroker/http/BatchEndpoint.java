package io.ssebroker.http;

/** A publisher endpoint that also takes a JSON array body: a batch of requests, answered item by item. */
public interface BatchEndpoint extends PublisherEndpoint {
}
