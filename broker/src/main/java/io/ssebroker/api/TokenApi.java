package io.ssebroker.api;

import io.ssebroker.auth.TokenService;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.http.ApiException;
import io.ssebroker.http.ApiRequest;
import io.ssebroker.http.PublisherEndpoint;
import java.util.concurrent.CompletableFuture;

/** {@code /token}: mints a connect token for a uid, optionally bound to a device. */
public final class TokenApi implements PublisherEndpoint {
    private final TokenService tokens;
    private final BrokerConfig.Jwt jwt;

    public TokenApi(TokenService tokens, BrokerConfig.Jwt jwt) {
        this.tokens = tokens;
        this.jwt = jwt;
    }

    @Override
    public CompletableFuture<Object> handle(ApiRequest request) {
        String uid = Fields.single(request.params(), "uid").orElseThrow(() -> new ApiException(400, "uid: required"));
        String device = Fields.single(request.params(), "device").orElse(null);
        long ttl = Fields.positiveSeconds(request.params(), "ttl", jwt.expireSeconds());
        return CompletableFuture.completedFuture(mint(tokens, jwt, uid, device, ttl));
    }

    /**
     * A token for these fields, as {@code /token} makes it for the API and the {@code token} command alike: a field
     * that the broker would refuse on {@code /events} is refused here (an {@link ApiException} of status 400), and
     * the lifetime is bounded by the settings.
     */
    public static String mint(TokenService tokens, BrokerConfig.Jwt jwt, String uid, String device, long ttlSeconds) {
        String checkedUid = Fields.identifier("uid", uid, false);
        String checkedDevice = device == null ? null : Fields.identifier("device", device, false);
        if (checkedDevice == null && jwt.requireDevice()) {
            throw new ApiException(400, "device: required (jwt.require_device: a token must be bound to a device)");
        }
        return tokens.mint(checkedUid, checkedDevice, Math.min(ttlSeconds, jwt.longestMintedSeconds()));
    }
}
