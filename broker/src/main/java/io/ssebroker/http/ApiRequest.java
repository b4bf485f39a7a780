package io.ssebroker.http;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * What an endpoint handler sees of a request: its parameters, headers by name, and the client's address (after
 * trusted proxies; null when unknown), with no HTTP library types.
 */
public record ApiRequest(Params params, Function<String, String> headers, InetSocketAddress client) {

    /**
     * A header's value as UTF-8 text, or null. HTTP libraries hand header bytes over one character each (ISO-8859-1);
     * a client sends a device name or a cursor in UTF-8 (an {@code EventSource} its {@code Last-Event-ID}), and the
     * same name must be the same device whether it comes in a header, the query string or a body.
     *
     * @throws ApiException 400 when the value is not UTF-8
     */
    public String header(String name) {
        String raw = headers.apply(name);
        if (raw == null || ascii(raw)) {
            return raw;
        }
        byte[] bytes = raw.getBytes(StandardCharsets.ISO_8859_1);
        try {
            return StrictText.decode(bytes, 0, bytes.length, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, name + ": not UTF-8 text");
        }
    }

    /** Read on every connect (token, device, cursor): a plain loop, no stream. */
    private static boolean ascii(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /**
     * The client's address as text ({@code host:port}, {@code [v6]:port} or {@code unknown}): written on demand,
     * since most requests (a publisher's) never show it.
     */
    public String clientAddress() {
        return ClientAddress.format(client);
    }
}
