package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.TcpProxy;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The node's set of users with changes out for its webhook, which a survivor reads to post what the node did not: a
 * user whose recording failed (Redis unreachable) is recorded again at its next change, while it is still open.
 */
class WebhookPostingsRecordTest {
    private static final RedisKeys KEYS = new RedisKeys("sse");
    private static final String NODE = "127.0.0.1:7003~recording";

    @Test
    void aUserWhoseRecordingFailedIsRecordedAtItsNextChange() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        try (RedisServers redis = RedisServers.standalone(); TcpProxy proxy = TcpProxy.to(redis.first().port());
             RedisTestConnections parts = RedisTestConnections.open(redis, Map.of("redis.addrs", "127.0.0.1:" + proxy.port()))) {
            RedisConnections connections = parts.connections();
            WebhookPostings postings = new WebhookPostings(connections.commands, new RedisScripts(connections.commands),
                    KEYS, NODE, StateChangeListener.NONE, uid -> CompletableFuture.completedFuture(null));

            proxy.cut();
            Thread.sleep(500); // the node has seen its connection drop: commands are refused at once
            postings.open("u-unrecorded").join();
            proxy.restore();
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions()
                    .until(() -> "PONG".equals(connections.commands.ping().toCompletableFuture().join()));
            assertThat(redis.first().cli("SISMEMBER", KEYS.nodePostingUsers(NODE), "u-unrecorded").trim())
                    .as("the recording failed").isEqualTo("0");

            postings.open("u-unrecorded").join(); // the user's next change, the first still out
            assertThat(redis.first().cli("SISMEMBER", KEYS.nodePostingUsers(NODE), "u-unrecorded").trim()).isEqualTo("1");
        }
    }
}
