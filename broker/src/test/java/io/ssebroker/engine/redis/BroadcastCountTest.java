package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A broadcast's answer counts the devices of every node in the cluster as the node set stands when it is sent: a
 * node that joined since the count before is counted, and one that left is not, though the counting node read the
 * indexes of the nodes it knew ahead of the node set.
 */
class BroadcastCountTest {
    @Test
    void theCountFollowsNodesJoiningAndLeaving() throws InterruptedException {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            Map<String, String> settings = Map.of("redis.addrs", redis.first().address());
            TestNode counting = TestNode.start(settings);
            try (SseClient first = counting.connect("u-count1", "d-count1")) {
                first.nextOfType("sys_connected");
                assertThat(counting.api().send(Map.of("data", "one node"))).isEqualTo(1);

                TestNode joined = TestNode.start(settings);
                try (SseClient second = joined.connect("u-count2", "d-count2");
                     SseClient third = joined.connect("u-count2", "d-count3")) {
                    second.nextOfType("sys_connected");
                    third.nextOfType("sys_connected");
                    assertThat(counting.api().send(Map.of("data", "a node joined"))).isEqualTo(3);
                    assertThat(counting.api().send(Map.of("data", "again"))).isEqualTo(3);
                } finally {
                    joined.close();
                }
                // a node that stopped has cleared its devices and left the node set
                assertThat(counting.api().send(Map.of("data", "the node left"))).isEqualTo(1);
            } finally {
                counting.close();
            }
        }
    }
}
