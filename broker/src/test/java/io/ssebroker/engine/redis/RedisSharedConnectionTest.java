package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.testing.PacketFilter;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * On a standalone Redis a node keeps one connection, for its commands and its subscriptions together. What Redis
 * does to that connection reaches both: a kill is repaired for both at once; a connection whose probes stop coming
 * back keeps the commands and loses the subscriptions to a connection of their own.
 */
class RedisSharedConnectionTest {
    private RedisServers redis;

    @BeforeEach
    void startRedis() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        redis = RedisServers.standalone();
    }

    @AfterEach
    void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void aNodeSubscribesOnTheConnectionItSendsCommandsOn() throws Exception {
        try (TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address()));
             SseClient client = node.connect("u-one", "d-one")) {
            client.nextOfType("sys_connected");
            assertThat(clients("pubsub")).as("the node's connection, subscribed").isEqualTo(1);
            assertThat(clients("normal")).as("no other connection of the node").isZero();
            assertThat(node.api().send(Map.of("uid", "u-one", "data", "one connection"))).isEqualTo(1);
            assertThat(client.next().data()).isEqualTo("one connection");
        }
    }

    @Test
    void aKilledConnectionComesBackForCommandsAndSubscriptionsAlike() throws Exception {
        try (TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address()));
             SseClient client = node.connect("u-kill", "d-kill")) {
            client.nextOfType("sys_connected");
            node.api().send(Map.of("uid", "u-kill", "data", "before"));
            assertThat(client.next().data()).isEqualTo("before");

            redis.first().cli("CLIENT", "KILL", "TYPE", "pubsub");
            // subscribed again and caught up: a message sent once the node answers again arrives, on the same stream
            await().atMost(Duration.ofSeconds(10)).until(() -> clients("pubsub") == 1
                    && redis.first().shardSubscribers(new RedisKeys("sse").userChannel("u-kill")) == 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> node.api().get("/readyz", Map.of()).status() == 200);
            assertThat(node.api().send(Map.of("uid", "u-kill", "data", "after"))).isEqualTo(1);
            assertThat(client.next().data()).isEqualTo("after");
            assertThat(clients("normal")).isZero();
        }
    }

    /**
     * Redis stalls past a probe's deadline but within the command timeout: the probe's publish is held as long as the
     * probe, which says nothing of the connection. The subscriptions stay where they are, and nothing is repaired.
     * (A probe that does not come back although its publish was answered moves them: {@code SubscriptionProbeTest}.)
     */
    @Test
    void aRedisStallPastAProbesDeadlineLeavesTheSubscriptionsOnTheConnection() throws Exception {
        try (TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address()));
             SseClient client = node.connect("u-probe", "d-probe")) {
            client.nextOfType("sys_connected");
            redis.first().pause();
            Thread.sleep(4_500);
            redis.first().resume();

            await().atMost(Duration.ofSeconds(10)).until(() -> node.api().get("/readyz", Map.of()).status() == 200);
            await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6))
                    .until(() -> clients("normal") == 0 && clients("pubsub") == 1);
            assertThat(node.api().send(Map.of("uid", "u-probe", "data", "still here"))).isEqualTo(1);
            assertThat(client.next().data()).isEqualTo("still here");
            assertThat(client.isClosedByServer()).isFalse();
        }
    }

    /**
     * The path to Redis dies without a reset (the node's segments dropped, as by a NAT that forgot the flow): the
     * socket ends within about redis.timeout (unacknowledged data, TCP_USER_TIMEOUT) and a new connection serves the
     * sends and the subscriptions, where the kernel's retransmissions alone would keep the dead one for minutes.
     */
    @Test
    void aConnectionWhosePathDiedSilentlyIsReplaced() throws Exception {
        assumeTrue(PacketFilter.available(), "nft cannot filter packets here (Linux, root and Debian's nftables needed)");
        try (TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address(), "redis.timeout", "2"));
             SseClient client = node.connect("u-path", "d-path")) {
            client.nextOfType("sys_connected");
            int nodePort = nodeConnectionPorts().get(0);
            try (PacketFilter silence = PacketFilter.dropping(nodePort, redis.first().port())) {
                // sends fail (503) while the connection waits for its segments to be acknowledged, then go through
                // a new one, which the filter does not touch
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                        .until(() -> node.api().postForm("/send", Map.of("uid", "u-path", "data", "through")).status() == 200);
                // Redis still lists the dead connection (the node's reset was dropped too): the new one is the other
                assertThat(nodeConnectionPorts()).contains(nodePort).hasSize(2);
            }
            SseClient.Event event;
            do {
                event = client.next(Duration.ofSeconds(10));
            } while (!"through".equals(event.data()));
            assertThat(client.isClosedByServer()).isFalse();
        }
    }

    /** The local ports of the node's connections that Redis knows (those with subscriptions). */
    private List<Integer> nodeConnectionPorts() {
        return redis.first().cli("CLIENT", "LIST", "TYPE", "pubsub").lines().filter(line -> !line.isBlank())
                .map(line -> Arrays.stream(line.split(" ")).filter(field -> field.startsWith("addr=")).findFirst()
                        .orElseThrow())
                .map(address -> Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)))
                .toList();
    }

    /** The clients of the given type, the node's: {@code redis-cli}'s own connection is of type normal. */
    private long clients(String type) {
        long count = redis.first().cli("CLIENT", "LIST", "TYPE", type).lines().filter(line -> !line.isBlank()).count();
        return type.equals("normal") ? count - 1 : count;
    }
}
