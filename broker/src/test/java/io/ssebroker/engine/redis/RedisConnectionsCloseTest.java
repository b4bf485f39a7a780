package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Closing a node's Redis connections closes all of them, also from a thread whose interrupt flag is set (a stop that
 * interrupted a start's retry), against a real Redis Cluster: there the node has several clients, and the pub/sub
 * connections are not the command connection's client's.
 */
class RedisConnectionsCloseTest {

    @Test
    void anInterruptedCloseStillClosesThePubSubConnectionsAndKeepsTheFlag() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        ClientResources resources = DefaultClientResources.create();
        try (RedisServers redis = RedisServers.cluster()) {
            BrokerConfig config = new ConfigLoader(Map.of()).load(Optional.empty(), Map.of(
                    "redis.addrs", String.join(",", redis.addresses()),
                    "jwt.secret", "redis-connections-close-secret-of-32-bytes")).config();
            RedisConnections connections = RedisConnections.open(config.redis(), resources);
            StatefulRedisPubSubConnection<String, String> link =
                    connections.shards.connect(connections.shards.ownerOf("some-channel")).get(10, TimeUnit.SECONDS);
            assertThat(link.isOpen()).isTrue();

            Thread.currentThread().interrupt();
            try {
                connections.close();
                assertThat(Thread.currentThread().isInterrupted()).as("the flag is kept for the caller").isTrue();
            } finally {
                Thread.interrupted();
            }
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(link.isOpen()).isFalse());
        } finally {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }
}
