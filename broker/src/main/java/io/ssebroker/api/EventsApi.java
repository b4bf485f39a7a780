package io.ssebroker.api;

import io.ssebroker.auth.TokenException;
import io.ssebroker.auth.TokenService;
import io.ssebroker.auth.VerifiedToken;
import io.ssebroker.broker.Broker;
import io.ssebroker.broker.ConnectRequest;
import io.ssebroker.broker.StreamOpener;
import io.ssebroker.http.ApiException;
import io.ssebroker.http.ApiRequest;
import io.ssebroker.http.StreamEndpoint;
import java.util.function.Supplier;

/**
 * {@code GET /events}: token (header {@code X-SSE-TOKEN} or {@code Authorization: Bearer}, else query {@code token}),
 * device (header {@code X-SSE-DEVICE}, else query, else the token's), cursor ({@code Last-Event-ID}, else
 * {@code X-SSE-ID}, else query {@code id}); then the broker opens the stream.
 */
public final class EventsApi implements StreamEndpoint {
    private final TokenService tokens;
    private final Broker broker;
    /** Whether a token must name its device: else its holder may take any device, of any uid (API.md section 3). */
    private final boolean requireDevice;

    public EventsApi(TokenService tokens, Broker broker, boolean requireDevice) {
        this.tokens = tokens;
        this.broker = broker;
        this.requireDevice = requireDevice;
    }

    @Override
    public void handle(ApiRequest request, StreamOpener opener) {
        String token = firstNonBlank(() -> tokenHeader(request, "X-SSE-TOKEN"),
                () -> bearerToken(request), () -> Fields.single(request.params(), "token").orElse(null));
        if (token == null) {
            throw new ApiException(401, "token: required (query 'token', header X-SSE-TOKEN or Authorization: Bearer)");
        }
        VerifiedToken verified;
        try {
            verified = tokens.verify(token.trim());
        } catch (TokenException e) {
            throw new ApiException(401, "token: " + e.getMessage());
        }
        String uid;
        try {
            uid = Fields.identifier("uid", verified.uid(), false);
        } catch (ApiException e) {
            throw new ApiException(401, "token: " + e.getMessage());
        }
        String requested = firstNonBlank(() -> request.header("X-SSE-DEVICE"),
                () -> Fields.single(request.params(), "device").orElse(null));
        // the token's device is read as a requested one is, so that the two compare as the same device or not at all
        String bound;
        try {
            bound = verified.device() == null ? null : Fields.identifier("device", verified.device(), false);
        } catch (ApiException e) {
            throw new ApiException(401, "token: device_name claim " + e.getMessage());
        }
        if (bound == null && requireDevice) {
            throw new ApiException(403,
                    "token: not bound to a device (jwt.require_device); mint it with /token?device=");
        }
        String device = requested != null ? Fields.identifier("device", requested, false) : bound;
        if (device == null) {
            throw new ApiException(400, "device: required (query 'device' or header X-SSE-DEVICE) when the token names none");
        }
        if (bound != null && !bound.equals(device)) {
            throw new ApiException(403, "device: the token is bound to another device");
        }
        String cursor = firstNonBlank(() -> request.header("Last-Event-ID"), () -> request.header("X-SSE-ID"),
                () -> Fields.single(request.params(), "id").orElse(null));
        broker.connect(new ConnectRequest(uid, device, cursor == null ? null : cursor.trim(), verified.issuedAtMillis(),
                request.clientAddress()), opener);
    }

    /** The token of an {@code Authorization: Bearer} header; a credential of another scheme (a proxy's) is not read. */
    private static String bearerToken(ApiRequest request) {
        String raw = request.headers().apply("Authorization");
        if (raw == null || !raw.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return tokenHeader(request, "Authorization").substring(7);
    }

    /** A header that may carry the token: one that is not text is a bad token (401), not a bad request. */
    private static String tokenHeader(ApiRequest request, String name) {
        try {
            return request.header(name);
        } catch (ApiException notText) {
            throw new ApiException(401, "token: " + notText.getMessage());
        }
    }

    /**
     * The first source, in order, that gives a value: those after it are not read, so that what they hold (a header
     * for another purpose, a query field) cannot refuse a request that the first answers.
     */
    @SafeVarargs
    private static String firstNonBlank(Supplier<String>... sources) {
        for (Supplier<String> source : sources) {
            String value = source.get();
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }
}
