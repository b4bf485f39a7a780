package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.ssebroker.testing.RedisServers;
import io.ssebroker.testing.SseClient;
import io.ssebroker.testing.TestNode;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node's Redis connections run on one of its HTTP event loops (no thread of Lettuce's own), and the node still
 * closes them, and leaves the cluster, before it stops those loops.
 */
class RedisIoOnServerLoopTest {
    private static final RedisKeys KEYS = new RedisKeys("sse");
    private static RedisServers redis;

    @BeforeAll
    static void start() {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        redis = RedisServers.standalone();
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void aNodeServesRedisFromItsOwnLoopsAndLeavesTheClusterWhenStopped() throws Exception {
        TestNode node = TestNode.start(Map.of("redis.addrs", redis.first().address()));
        try {
            assertThat(Thread.getAllStackTraces().keySet()).map(Thread::getName)
                    .noneMatch(name -> name.startsWith("lettuce-") && name.contains("EventLoop"));
            assertThat(nodesInTheCluster()).hasSize(1);
            try (SseClient client = node.connect("u1", "d1")) {
                client.nextOfType("sys_connected");
                assertThat(node.api().send(Map.of("uid", "u1", "data", "hello"))).isEqualTo(1);
                assertThat(client.next().data()).isEqualTo("hello");
            }
        } finally {
            long stopping = System.nanoTime();
            node.close();
            // Leaving takes a few round trips; a Redis connection whose loop was stopped first would wait out the
            // two seconds the engine gives it, and stay listed.
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping)).isLessThan(1_900);
        }
        assertThat(nodesInTheCluster()).isEmpty();
    }

    @Test
    void aLentLoopOutlivesTheEngineThatUsedIt() throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            EventLoop loop = group.next();
            RedisIoThread lent = RedisIoThread.on(loop);
            assertThat(lent.executor()).isSameAs(loop);
            lent.close();
            assertThat(loop.isShuttingDown()).isFalse();
            assertThat(loop.submit(() -> "still running").get(5, TimeUnit.SECONDS)).isEqualTo("still running");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aThreadOfItsOwnStopsWithIt() {
        RedisIoThread own = RedisIoThread.own();
        own.close();
        assertThat(own.executor().isShuttingDown()).isTrue();
    }

    private static String[] nodesInTheCluster() {
        String members = redis.first().cli("SMEMBERS", KEYS.nodes()).trim();
        return members.isEmpty() ? new String[0] : members.split("\n");
    }
}
