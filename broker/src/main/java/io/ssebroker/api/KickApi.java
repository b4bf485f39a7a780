package io.ssebroker.api;

import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.Engine;
import io.ssebroker.http.ApiException;
import io.ssebroker.http.ApiRequest;
import io.ssebroker.http.PublisherEndpoint;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** {@code /kick}: ends the connections of uids and devices and revokes their earlier tokens. */
public final class KickApi implements PublisherEndpoint {
    private final Engine engine;
    private final BrokerConfig.Limits limits;

    public KickApi(Engine engine, BrokerConfig.Limits limits) {
        this.engine = engine;
        this.limits = limits;
    }

    @Override
    public CompletableFuture<Object> handle(ApiRequest request) {
        Set<String> uids = Fields.identifierList(request.params(), "uid");
        Set<String> devices = Fields.identifierList(request.params(), "device");
        if (uids.isEmpty() && devices.isEmpty()) {
            throw new ApiException(400, "uid, device: at least one is required");
        }
        Fields.checkTargetCount(uids, devices, limits.maxTargets());
        String data = Fields.text(request.params(), "data", limits.maxMessageBytes());
        return engine.kick(uids, devices, data).thenApply(count -> count);
    }
}
