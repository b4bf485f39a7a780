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
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.util.concurrent.Future;
import io.ssebroker.config.BrokerConfig;
import io.ssebroker.config.ConfigLoader;
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
 * A message to a user goes out at once when it is handed over on its connection's own loop, and never overtakes one
 * handed over before it that still waits in that loop's queue (it would be dropped as already seen). A write that
 * closes the stream does not remove the connection on the stack of the hand-over, which may hold the engine's locks.
 */
class UnicastDeliveryTest {
    private final BrokerConfig config = new ConfigLoader(Map.of())
            .load(Optional.empty(), Map.of("jwt.secret", "unicast-delivery-test-secret-of-32-bytes")).config();
    private final MemoryEngine engine = new MemoryEngine(config, "node:1", "test", StateChangeListener.NONE);
    private final Broker broker = new Broker(engine, config, "node:1");
    private EventLoopGroup group;

    @AfterEach
    void close() throws InterruptedException {
        engine.close();
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        }
    }

    private static StreamMessage toUser(long offset, String data) {
        return new StreamMessage("u", offset, null, data, Set.of(), 0);
    }

    private void connect(Channel channel) {
        broker.start();
        broker.connect(new ConnectRequest("u", "d", null, System.currentTimeMillis(), "127.0.0.1:1"), TestOpeners.on(channel));
    }

    /** A connection on a real event loop (one thread), its client appending what it reads to {@code received}. */
    private Channel connectOverLocalChannel(StringBuffer received) throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        LocalAddress address = new LocalAddress("unicast-delivery-" + System.nanoTime());
        CompletableFuture<Channel> serverSide = new CompletableFuture<>();
        new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel channel) {
                        serverSide.complete(channel);
                    }
                }).bind(address).sync();
        new Bootstrap().group(group).channel(LocalChannel.class).handler(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf bytes = (ByteBuf) msg;
                received.append(bytes.toString(StandardCharsets.UTF_8));
                bytes.release();
            }
        }).connect(address).sync();
        Channel stream = serverSide.get(5, TimeUnit.SECONDS);
        connect(stream);
        await().atMost(Duration.ofSeconds(5)).until(() -> received.toString().contains("sys_connected"));
        return stream;
    }

    @Test
    void aStreamClosedByAnInlineWriteIsRemovedInATaskOfItsOwn() throws Exception {
        Channel stream = connectOverLocalChannel(new StringBuffer());

        // Handed over on the loop, as a publisher on the same loop does (with the memory engine's locks held).
        boolean closedButStillOnline = stream.eventLoop().submit(() -> {
            // The unsent bytes are past the cap when the next frame comes: the client counts as too slow.
            stream.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
            broker.deliver(toUser(1, "one more"));
            return !stream.isOpen() && engine.userDevices("u").join().size() == 1;
        }).get(5, TimeUnit.SECONDS);

        assertThat(closedButStillOnline).as("closed, and not yet removed on the stack of the write").isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> engine.userDevices("u").join().isEmpty());
    }

    /** The cap is on what a client leaves unread: one message larger than it, to a client that reads, drops nobody. */
    @Test
    void aFrameLargerThanTheCapAloneDoesNotDropTheClient() throws Exception {
        StringBuffer received = new StringBuffer();
        Channel stream = connectOverLocalChannel(received);
        stream.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        boolean open = stream.eventLoop().submit(() -> {
            broker.deliver(toUser(1, "more than sixteen bytes"));
            return stream.isOpen();
        }).get(5, TimeUnit.SECONDS);
        assertThat(open).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> received.toString().contains("data: more than sixteen bytes"));
        assertThat(stream.isOpen()).isTrue();
    }

    @Test
    void aMessageHandedOverOnTheConnectionsLoopIsOnTheWireAtOnce() {
        EmbeddedChannel channel = new EmbeddedChannel();
        try {
            connect(channel);
            channel.runPendingTasks();
            assertThat(Outbound.text(channel)).contains("event: sys_connected\n");

            broker.deliver(toUser(1, "now")); // EmbeddedChannel's loop counts every thread as its own

            assertThat(Outbound.text(channel)).contains("data: now\n\n");
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void aMessageHandedOverOnTheLoopDoesNotPassABroadcastQueuedBeforeIt() {
        EmbeddedChannel channel = new EmbeddedChannel();
        try {
            connect(channel);
            channel.runPendingTasks();
            Outbound.text(channel);

            broker.deliver(new StreamMessage(null, 1, null, "everyone", Set.of(), 0));
            broker.deliver(toUser(2, "you"));
            channel.runPendingTasks();

            String text = Outbound.text(channel);
            assertThat(text.indexOf("data: everyone\n")).isNotNegative().isLessThan(text.indexOf("data: you\n"));
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void aMessageNeverOvertakesOneQueuedBeforeIt() throws Exception {
        StringBuffer received = new StringBuffer();
        Channel stream = connectOverLocalChannel(received);

        // The loop is busy with a task (reading a publisher's request, say) while another thread hands over the
        // user's first message; the task then hands over the second on the connection's own loop.
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch firstHandedOver = new CountDownLatch(1);
        Future<?> publisher = stream.eventLoop().submit(() -> {
            running.countDown();
            assertThat(firstHandedOver.await(5, TimeUnit.SECONDS)).isTrue();
            broker.deliver(toUser(2, "second"));
            return null;
        });
        assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
        try {
            broker.deliver(toUser(1, "first"));
        } finally {
            firstHandedOver.countDown();
        }
        publisher.get(5, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(5)).until(() -> received.toString().contains("data: second"));
        String text = received.toString();
        assertThat(text.indexOf("data: first\n")).isNotNegative().isLessThan(text.indexOf("data: second\n"));
    }
}
