package io.ssebroker.engine.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A standalone redis-server and a Lettuce client whose connections run on a Redis I/O thread of the engine's kind,
 * as the node has them: for tests of the engine's parts that take that thread (the subscription supervisor, the
 * routing). The caller checks {@link RedisServers#available()} first.
 */
final class RedisIoFixture implements AutoCloseable {
    final RedisServers redis = RedisServers.standalone();
    final RedisIoThread ioThread = new RedisIoThread();
    private final ClientResources resources = DefaultClientResources.builder().eventLoopGroupProvider(ioThread.provider()).build();
    final RedisClient client = RedisClient.create(resources);
    private SubscriptionSupervisor supervisor;

    RedisIoFixture() {
        // RESP3, as the engine speaks it: a connection with subscriptions runs commands too
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP3).build());
    }

    /** The supervisor of the test, closed first by {@link #close}. */
    SubscriptionSupervisor supervising(SubscriptionSupervisor supervisor) {
        this.supervisor = supervisor;
        return supervisor;
    }

    RedisURI uri() {
        return RedisURI.create("redis://" + redis.first().address());
    }

    /** Closes the supervisor, the client, its thread, then the server. */
    @Override
    public void close() {
        if (supervisor != null) {
            supervisor.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
        ioThread.close();
        redis.close();
    }
}
