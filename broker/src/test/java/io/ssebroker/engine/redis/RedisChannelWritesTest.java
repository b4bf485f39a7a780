package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.ssebroker.testing.RedisServers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The node's Redis channels against a real redis-server: a burst of commands issued from several threads leaves in
 * far fewer socket flushes than commands, every command is still answered, in order per thread, and a lone command
 * is not held back.
 */
class RedisChannelWritesTest {
    private static final int THREADS = 4;
    private static final int COMMANDS_PER_THREAD = 2_000;

    @Test
    void aBurstLeavesInFewFlushesAndEveryCommandIsAnswered() throws Exception {
        assumeTrue(RedisServers.available(), "redis-server is not installed");
        SocketFlushes flushes = new SocketFlushes();
        ClientResources resources = DefaultClientResources.builder().nettyCustomizer(flushes).build();
        try (RedisServers redis = RedisServers.standalone()) {
            RedisClient client = RedisClient.create(resources, RedisURI.create("redis://" + redis.first().address()));
            try (StatefulRedisConnection<String, String> connection = client.connect(Utf8Codec.INSTANCE)) {
                RedisAsyncCommands<String, String> commands = connection.async();
                assertThat(flushes.allocator.get()).isSameAs(PooledByteBufAllocator.DEFAULT);

                int before = flushes.count.get();
                List<CompletableFuture<List<Long>>> threads = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    String key = "counter-" + t;
                    threads.add(CompletableFuture.supplyAsync(() -> {
                        List<RedisFuture<Long>> sent = new ArrayList<>();
                        for (int i = 0; i < COMMANDS_PER_THREAD; i++) {
                            sent.add(commands.incr(key));
                        }
                        List<Long> answers = new ArrayList<>();
                        for (RedisFuture<Long> answer : sent) {
                            answers.add(answer.toCompletableFuture().join());
                        }
                        return answers;
                    }));
                }
                for (CompletableFuture<List<Long>> thread : threads) {
                    List<Long> answers = thread.get(30, TimeUnit.SECONDS);
                    for (int i = 0; i < COMMANDS_PER_THREAD; i++) {
                        assertThat(answers.get(i)).as("answers in the order sent").isEqualTo(i + 1L);
                    }
                }
                int burstFlushes = flushes.count.get() - before;
                assertThat(burstFlushes).as("socket flushes for %d commands", THREADS * COMMANDS_PER_THREAD)
                        .isLessThan(THREADS * COMMANDS_PER_THREAD / 4);

                long started = System.nanoTime();
                assertThat(commands.get("counter-0").get(5, TimeUnit.SECONDS)).isEqualTo(Integer.toString(COMMANDS_PER_THREAD));
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as("a lone command leaves at once")
                        .isLessThan(Duration.ofSeconds(1));
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        } finally {
            resources.shutdown(0, 2, TimeUnit.SECONDS).get();
        }
    }

    /** The node's customizer, plus a counter of the flushes that reach the socket (below everything else). */
    private static final class SocketFlushes implements NettyCustomizer {
        private final RedisChannelWrites writes = new RedisChannelWrites();
        final AtomicInteger count = new AtomicInteger();
        final AtomicReference<Object> allocator = new AtomicReference<>();

        @Override
        public void afterBootstrapInitialized(Bootstrap bootstrap) {
            writes.afterBootstrapInitialized(bootstrap);
        }

        @Override
        public void afterChannelInitialized(Channel channel) {
            writes.afterChannelInitialized(channel);
            allocator.set(channel.config().getAllocator());
            channel.pipeline().addFirst("countSocketFlushes", new ChannelOutboundHandlerAdapter() {
                @Override
                public void flush(ChannelHandlerContext ctx) {
                    count.incrementAndGet();
                    ctx.flush();
                }
            });
        }
    }
}
