package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StateChangeListener;
import io.ssebroker.engine.StreamMessage;
import io.ssebroker.engine.memory.MemoryEngine;
import io.ssebroker.testing.Outbound;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A failover lost messages a live connection got (the engine then says {@code history_lost} for that stream) and
 * the stream holds others instead, older than the last one written: after the reset they are written, once; before
 * it, a message no newer than the last one written is a copy and is not.
 */
class StreamHistoryChangeTest {
    private final BrokerConfig config = new ConfigLoader(Map.of())
            .load(Optional.empty(), Map.of("jwt.secret", "stream-history-change-secret-of-32-bytes")).config();
    private final MemoryEngine engine = new MemoryEngine(config, "node:1", "test", StateChangeListener.NONE);
    private final Broker broker = new Broker(engine, config, "node:1");
    private final EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
        engine.close();
    }

    @Test
    void afterTheResetTheMessagesThatReplacedTheLostOnesAreWrittenEvenIfOlder() {
        broker.start();
        broker.connect(new ConnectRequest("u", "d", null, System.currentTimeMillis(), "127.0.0.1:1"), TestOpeners.on(channel));
        channel.runPendingTasks();
        broker.deliver(message(1_000, "ten"));
        broker.deliver(message(1_200, "twelve, lost by the failover"));
        broker.deliver(message(1_100, "a copy"));
        broker.streamReset("u", Replay.HISTORY_LOST);
        broker.deliver(message(1_100, "eleven"));
        broker.deliver(message(1_300, "thirteen"));
        broker.deliver(message(1_300, "a copy"));
        broker.streamReset(null, Replay.HISTORY_LOST); // the broadcast stream's history: the user's is not rewound
        broker.deliver(message(1_250, "a copy"));
        channel.runPendingTasks();

        String written = Outbound.text(channel);
        assertThat(written).doesNotContain("a copy");
        assertThat(written.indexOf("data: ten\n")).isPositive()
                .isLessThan(written.indexOf("data: twelve, lost by the failover\n"));
        assertThat(written.indexOf("data: twelve, lost by the failover\n"))
                .isLessThan(written.indexOf("event: sys_reset\ndata: history_lost\n"));
        assertThat(written.indexOf("event: sys_reset\ndata: history_lost\n")).isLessThan(written.indexOf("data: eleven\n"));
        assertThat(written.indexOf("data: eleven\n")).isLessThan(written.indexOf("data: thirteen\n"));
    }

    /**
     * A reset queued behind a message comes before a message the loop writes at once after that one was taken, when
     * the reset's turn has not come yet: a message written before it would be judged by the offsets it clears. On a
     * real loop (an embedded channel's takes every caller for its own thread, and nothing is queued).
     */
    @Test
    void aMessageWrittenAtOnceDoesNotOvertakeAQueuedReset() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        try {
            LocalAddress address = new LocalAddress("stream-history-change");
            CompletableFuture<Channel> served = new CompletableFuture<>();
            new ServerBootstrap().group(group).channel(LocalServerChannel.class).childHandler(new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel child) {
                    served.complete(child);
                }
            }).bind(address).sync();
            StringBuffer received = new StringBuffer();
            new Bootstrap().group(group).channel(LocalChannel.class).handler(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    received.append(((ByteBuf) msg).toString(StandardCharsets.UTF_8));
                    ((ByteBuf) msg).release();
                }
            }).connect(address).sync();
            Channel stream = served.get(5, TimeUnit.SECONDS);
            broker.start();
            broker.connect(new ConnectRequest("u", "d", null, System.currentTimeMillis(), "127.0.0.1:1"),
                    TestOpeners.on(stream));
            await().atMost(Duration.ofSeconds(5)).until(() -> received.indexOf("sys_connected") >= 0);

            CountDownLatch hold = new CountDownLatch(1);
            stream.eventLoop().execute(() -> {
                try {
                    hold.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            broker.deliver(message(1_000, "ten")); // queued: the caller is not the loop
            stream.eventLoop().execute(() -> broker.deliver(message(1_100, "eleven"))); // on the loop, after "ten"
            broker.streamReset("u", Replay.HISTORY_LOST);
            hold.countDown();
            await().atMost(Duration.ofSeconds(5)).until(() -> received.indexOf("data: eleven\n") >= 0);

            String written = received.toString();
            assertThat(written.indexOf("data: ten\n")).isPositive()
                    .isLessThan(written.indexOf("event: sys_reset\ndata: history_lost\n"));
            assertThat(written.indexOf("event: sys_reset\ndata: history_lost\n")).isLessThan(written.indexOf("data: eleven\n"));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static StreamMessage message(long offset, String data) {
        return new StreamMessage("u", offset, null, data, Set.of(), 0);
    }
}
