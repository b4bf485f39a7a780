package io.ssebroker.http;

import java.net.InetSocketAddress;
import java.util.function.Function;

/**
 * What an endpoint handler sees of a request: its parameters, headers by name, and the client's address (after
 * trusted proxies; null when unknown), with no HTTP library types.
 */
public record ApiRequest(Params params, Function<String, String> headers, InetSocketAddress client) {

    public String header(String name) {
        return headers.apply(name);
    }

    /**
     * The client's address as text ({@code host:port}, {@code [v6]:port} or {@code unknown}): written on demand,
     * since most requests (a publisher's) never show it.
     */
    public String clientAddress() {
        return ClientAddress.format(client);
    }
}
