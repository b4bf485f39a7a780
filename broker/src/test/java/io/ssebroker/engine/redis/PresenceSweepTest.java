package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.engine.DeviceSession;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The sweep of the online users clears the entries of nodes that are no longer the cluster's, never those of a node
 * that still is (its beat may be missing for a moment, lost with a failover's writes or while it stalled, while its
 * connections are live), one that joined since the sweep read the nodes, one that beats though the set of nodes lost
 * it (the set's master restarted empty), or the node that sweeps.
 */
class PresenceSweepTest {

    @Test
    void aSweepClearsTheEntriesOfNodesThatLeftTheClusterOnly() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone();
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of())) {
            RedisConnections connections = parts.connections();
            RedisKeys keys = new RedisKeys("sse");
            RedisPresence ours = parts.presence("node-sweeping");
            register(ours, new DeviceSession("u-ours", "d-ours", "n-ours", "127.0.0.1:7001", "127.0.0.1:5555", 1L));
            for (String node : List.of("node-gone", "node-stalled", "node-late", "node-unlisted")) {
                register(parts.presence(node), new DeviceSession("u-" + node, "d-" + node, "n-" + node,
                        "127.0.0.1:7002", "127.0.0.1:5556", 1L));
            }
            // The sweep reads the nodes once; a node joins after that read. No node's beat is current, and the
            // sweeping node is missing from the set too.
            connections.commands.sadd(keys.nodes(), "node-stalled", "node-late").toCompletableFuture().join();
            connections.commands.set(keys.nodeBeat("node-unlisted"), "{}").toCompletableFuture().join();
            NodeLiveness liveness = new NodeLiveness(connections.commands, new RedisScripts(connections.commands), keys,
                    ours, "node-sweeping", "127.0.0.1:7001", "test", 1L, 1000, () -> { }, () -> { }, session -> { });
            PresenceSweep sweep = new PresenceSweep(connections.commands, keys, ours,
                    () -> CompletableFuture.completedFuture(Set.of("node-stalled")), liveness::isClusterNode,
                    "node-sweeping", 1000);
            sweep.walkSoon();
            sweep.sweep();
            await().atMost(Duration.ofSeconds(10)).until(() -> ours.device("d-node-gone").join().isEmpty());
            assertThat(ours.device("d-ours").join()).as("the sweeping node's own entry")
                    .map(DeviceSession::nonce).contains("n-ours");
            assertThat(ours.device("d-node-stalled").join()).as("a node of the cluster whose beat is missing")
                    .map(DeviceSession::nonce).contains("n-node-stalled");
            assertThat(ours.device("d-node-late").join()).as("a node that joined after the sweep read the nodes")
                    .map(DeviceSession::nonce).contains("n-node-late");
            assertThat(ours.device("d-node-unlisted").join()).as("a node that beats, missing from the set")
                    .map(DeviceSession::nonce).contains("n-node-unlisted");
            assertThat(ours.userCount().join()).isEqualTo(4);
        }
    }


    private static void register(RedisPresence presence, DeviceSession session) {
        presence.register(session, 4, System.currentTimeMillis(), CompletableFuture.completedFuture(null)).join();
    }
}
