package io.ssebroker.api;

import io.ssebroker.broker.BroadcastBacklog;
import io.ssebroker.broker.SystemEvents;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.engine.Engine;
import io.ssebroker.engine.Publication;
import io.ssebroker.http.ApiException;
import io.ssebroker.http.ApiRequest;
import io.ssebroker.http.PublisherEndpoint;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /send}: publishes a message to uids, devices, or everyone; answers with the target devices online, once
 * the message is accepted and the node's broadcast backlog has room.
 */
public final class SendApi implements PublisherEndpoint {
    private final Engine engine;
    private final BroadcastBacklog backlog;
    private final BrokerConfig.Limits limits;

    public SendApi(Engine engine, BroadcastBacklog backlog, BrokerConfig.Limits limits) {
        this.engine = engine;
        this.backlog = backlog;
        this.limits = limits;
    }

    @Override
    public CompletableFuture<Object> handle(ApiRequest request) {
        String data = Fields.data(request.params(), limits.maxMessageBytes());
        String event = Fields.eventName(request.params());
        if (event != null && event.startsWith(SystemEvents.RESERVED_PREFIX)) {
            throw new ApiException(400, "event: names starting with '" + SystemEvents.RESERVED_PREFIX + "' are reserved for system events");
        }
        Set<String> uids = Fields.identifierList(request.params(), "uid");
        Set<String> devices = Fields.identifierList(request.params(), "device");
        Fields.checkTargetCount(uids, devices, limits.maxTargets());
        return engine.publish(new Publication(event, data, uids, devices))
                .thenCompose(online -> backlog.whenRoom().thenApply(room -> online));
    }
}
