package io.ssebroker.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Set;

/**
 * CORS per {@code http.cors_origins}: none by default; {@code *} allows any origin without credentials; listed
 * origins are echoed back with credentials allowed.
 */
final class Cors {
    static final String ALLOWED_HEADERS = "Content-Type, Authorization, X-API-Key, X-SSE-TOKEN, X-SSE-DEVICE, X-SSE-ID, Last-Event-ID, Idempotency-Key";

    /** No origin allowed: for answers the server gives before it knows the request (a timed-out head). */
    static final Cors NONE = new Cors(List.of());

    private final boolean any;
    private final Set<String> origins;

    Cors(List<String> configured) {
        this.any = configured.contains("*");
        this.origins = Set.copyOf(configured);
    }

    boolean allows(String origin) {
        return origin != null && (any || origins.contains(origin));
    }

    /** Whether the origin is listed by name ({@code *} aside): a site the operator named as one of theirs. */
    boolean lists(String origin) {
        return origins.contains(origin);
    }

    /** Adds the headers for an allowed origin; nothing otherwise (the browser then blocks the answer). */
    void apply(String origin, HttpHeaders headers) {
        if (!allows(origin)) {
            return;
        }
        if (any) {
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        } else {
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
            headers.add(HttpHeaderNames.VARY, "Origin");
        }
    }

    void applyPreflight(String origin, String methods, HttpHeaders headers) {
        apply(origin, headers);
        if (allows(origin)) {
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, methods);
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS);
            headers.set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
        }
    }
}
