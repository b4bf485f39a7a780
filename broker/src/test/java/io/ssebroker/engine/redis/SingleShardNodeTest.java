package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The command connection lent for subscriptions on a standalone Redis, and given back, against a real redis-server. */
class SingleShardNodeTest {
    private RedisServers redis;
    private RedisClient client;
    private StatefulRedisPubSubConnection<String, String> commandConnection;
    private SingleShardNode shards;

    @BeforeEach
    void start() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        redis = RedisServers.standalone();
        RedisURI uri = RedisURI.create("redis://" + redis.first().address());
        client = RedisClient.create(uri);
        client.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP3).build());
        commandConnection = client.connectPubSub(Utf8Codec.INSTANCE);
        shards = new SingleShardNode(client, uri, commandConnection);
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void theCommandConnectionIsLentOnceAndRunsCommandsWhileSubscribed() throws Exception {
        StatefulRedisPubSubConnection<String, String> first = shards.connect(SingleShardNode.MASTER).get(5, TimeUnit.SECONDS);
        assertThat(first).isSameAs(commandConnection);
        first.async().ssubscribe("{a}:c").get(5, TimeUnit.SECONDS);
        assertThat(commandConnection.async().set("{a}:k", "v").get(5, TimeUnit.SECONDS)).isEqualTo("OK");

        StatefulRedisPubSubConnection<String, String> second = shards.connect(SingleShardNode.MASTER).get(5, TimeUnit.SECONDS);
        try {
            assertThat(second).as("a connection of its own").isNotSameAs(commandConnection);
        } finally {
            shards.release(second, Set.of());
        }
        assertThat(second.isOpen()).isFalse();
    }

    @Test
    void givenBackTheCommandConnectionLosesItsSubscriptionsAndKeepsServingCommands() throws Exception {
        StatefulRedisPubSubConnection<String, String> lent = shards.connect(SingleShardNode.MASTER).get(5, TimeUnit.SECONDS);
        lent.async().ssubscribe("{a}:c", "{b}:c").get(5, TimeUnit.SECONDS);
        redis.first().cli("SPUBLISH", "{b}:c", "while lent");
        assertThat(redis.first().shardSubscribers("{b}:c")).as("a message while lent unsubscribes nothing").isEqualTo(1);

        // given back with one channel only, as when the unsubscription of the other was refused while disconnected
        shards.release(lent, Set.of("{a}:c"));
        await().atMost(Duration.ofSeconds(5)).until(() -> redis.first().shardSubscribers("{a}:c") == 0);
        assertThat(redis.first().shardSubscribers("{b}:c")).isEqualTo(1);
        redis.first().cli("SPUBLISH", "{b}:c", "left over");
        await().atMost(Duration.ofSeconds(5)).until(() -> redis.first().shardSubscribers("{b}:c") == 0);

        assertThat(commandConnection.isOpen()).isTrue();
        assertThat(commandConnection.async().get("{a}:k").get(5, TimeUnit.SECONDS)).isNull();
    }
}
