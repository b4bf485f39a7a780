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
        String uid = Fields.requiredIdentifier(request.params(), "uid");
        String device = Fields.optionalIdentifier(request.params(), "device").orElse(null);
        if (device == null && jwt.requireDevice()) {
            throw new ApiException(400, "device: required (jwt.require_device: a token must be bound to a device)");
        }
        long ttl = Math.min(Fields.positiveSeconds(request.params(), "ttl", jwt.expireSeconds()), jwt.longestMintedSeconds());
        return CompletableFuture.completedFuture(tokens.mint(uid, device, ttl));
    }
}
