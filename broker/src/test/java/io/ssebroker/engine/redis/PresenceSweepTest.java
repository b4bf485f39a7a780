package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.StateChangeJson;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The sweep of the online users clears the entries of nodes that no longer beat, never those of the node that sweeps:
 * its own beat may be missing for a moment (lost with a failover's writes) while its connections are live.
 */
class PresenceSweepTest {

    @Test
    void aSweepClearsTheEntriesOfNodesThatNoLongerBeatButNeverItsOwn() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone()) {
            BrokerConfig config = new ConfigLoader(Map.of()).load(Optional.empty(), Map.of(
                    "redis.addrs", redis.first().address(),
                    "jwt.secret", "presence-sweep-test-secret-of-32-bytes-or-more")).config();
            ClientResources resources = DefaultClientResources.create();
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
            RedisConnections connections = RedisConnections.open(config.redis(), resources);
            try {
                RedisPresence ours = presence(connections, scheduler, "node-sweeping");
                RedisPresence theirs = presence(connections, scheduler, "node-dead");
                register(ours, new DeviceSession("u-ours", "d-ours", "n-ours", "127.0.0.1:7001", "127.0.0.1:5555", 1L));
                register(theirs, new DeviceSession("u-theirs", "d-theirs", "n-theirs", "127.0.0.1:7002", "127.0.0.1:5556", 1L));

                // No node beats as far as the sweep can tell, this one included.
                PresenceSweep sweep = new PresenceSweep(connections.commands, new RedisKeys("sse"), ours,
                        () -> CompletableFuture.completedFuture(Set.of()), "node-sweeping", 1000);
                sweep.walkSoon();
                sweep.sweep();
                await().atMost(Duration.ofSeconds(10)).until(() -> ours.device("d-theirs").join().isEmpty());
                assertThat(ours.device("d-ours").join()).as("the sweeping node's own entry")
                        .map(DeviceSession::nonce).contains("n-ours");
                assertThat(ours.userCount().join()).isEqualTo(1);
            } finally {
                connections.close();
                resources.shutdown(0, 2, TimeUnit.SECONDS);
                scheduler.shutdownNow();
            }
        }
    }

    private static RedisPresence presence(RedisConnections connections, ScheduledExecutorService scheduler, String nodeId) {
        RedisKeys keys = new RedisKeys("sse");
        return new RedisPresence(connections.commands, new RedisScripts(connections.commands), keys,
                StateChangeListener.NONE, new StateChangeJson(nodeId), new OfflineGrace(0, false, scheduler), 60_000,
                new EndedConnections(connections.commands, keys, 16, 60_000), nodeId, !connections.cluster);
    }

    private static void register(RedisPresence presence, DeviceSession session) {
        presence.register(session, 4, System.currentTimeMillis(), CompletableFuture.completedFuture(null)).join();
    }
}
