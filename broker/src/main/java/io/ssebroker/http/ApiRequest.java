package io.ssebroker.http;

import java.net.InetAddress;
import java.util.function.Function;

/**
 * What an endpoint handler sees of a request: its parameters, headers by name, and the client's address (after
 * trusted proxies), with no HTTP library types.
 */
public record ApiRequest(Params params, Function<String, String> headers, InetAddress clientIp, String clientAddress) {

    public String header(String name) {
        return headers.apply(name);
    }
}
