package io.ssebroker.client;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One JDK HttpClient per connect timeout for every client built without its own: an HttpClient holds a selector
 * thread and a pool, and on Java 17 it cannot be closed, so an application that builds clients freely must not
 * build HttpClients with them.
 */
final class SharedHttpClients {
    private static final ConcurrentHashMap<Duration, HttpClient> BY_CONNECT_TIMEOUT = new ConcurrentHashMap<>();

    private SharedHttpClients() {
    }

    static HttpClient forConnectTimeout(Duration timeout) {
        return BY_CONNECT_TIMEOUT.computeIfAbsent(timeout, t -> HttpClient.newBuilder().connectTimeout(t).build());
    }
}
