package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StreamMessage;
import io.ssebroker.sse.SseFraming;
import io.ssebroker.sse.SseFrames;
import io.ssebroker.sse.SseStream;
import io.ssebroker.testing.Outbound;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Live messages are written at once and flushed together in one pass at the end of the loop's iteration; a broadcast
 * with none queued behind it is flushed to each connection as it is written.
 */
class LoopConnectionsTest {
    private final EmbeddedChannel loopOwner = new EmbeddedChannel();
    private final LoopConnections loop = new LoopConnections(loopOwner.eventLoop(), 30_000);
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private final List<LocalConnection> connections = new ArrayList<>();

    @AfterEach
    void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
        loopOwner.finishAndReleaseAll();
    }

    private LocalConnection connect(String uid, String device, ChannelHandler... handlers) {
        EmbeddedChannel channel = new EmbeddedChannel(handlers);
        LocalConnection connection = new LocalConnection(
                new DeviceSession(uid, device, "nonce-" + device, "node:1", "127.0.0.1:1", 0),
                new SseStream(channel, SseFraming.RAW), 0, 0);
        connection.start(3000, new Replay(new Position("e", 0, 0), List.of(), null), null);
        channel.releaseOutbound();
        loop.add(connection);
        channels.add(channel);
        connections.add(connection);
        return connection;
    }


    private static StreamMessage broadcast(long offset, String data) {
        return new StreamMessage(null, offset, null, data, Set.of(), 0);
    }

    /** Delivers as the broker does: a broadcast is counted as queued, then written. */
    private void deliver(StreamMessage message) {
        if (message.isBroadcast()) {
            loop.broadcastQueued();
        }
        write(message);
    }

    private void write(StreamMessage message) {
        ByteBuf body = SseFrames.body(loopOwner.alloc(), message.event(), message.data());
        try {
            if (message.isBroadcast()) {
                loop.broadcast(message, body);
            } else {
                connections.stream().filter(c -> c.session.uid().equals(message.uid()))
                        .forEach(c -> loop.deliver(c, message, body));
            }
        } finally {
            body.release();
        }
    }

    @Test
    void broadcastsQueuedTogetherAreFlushedTogetherInOnePass() {
        connect("u1", "d1");
        connect("u2", "d2");
        loop.broadcastQueued();
        loop.broadcastQueued();

        write(broadcast(1, "first"));
        assertThat(channels).allSatisfy(channel -> assertThat(channel.outboundMessages()).isEmpty());
        write(broadcast(2, "second"));
        loopOwner.runPendingTasks();

        for (EmbeddedChannel channel : channels) {
            String received = Outbound.text(channel);
            assertThat(received).contains("data: first\n\n").contains("data: second\n\n");
            assertThat(received.indexOf("first")).isLessThan(received.indexOf("second"));
        }
    }

    @Test
    void aLoneBroadcastIsFlushedToEachConnectionAsItIsWritten() {
        connect("u1", "d1");
        connect("u2", "d2");

        deliver(broadcast(1, "alone"));

        assertThat(channels).allSatisfy(channel -> assertThat(Outbound.text(channel)).contains("data: alone\n\n"));
    }

    @Test
    void aBroadcastQueuedMidwayLeavesTheRestToTheFlushPass() {
        AtomicBoolean queueOnNextWrite = new AtomicBoolean();
        connect("u1", "d1", new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                if (queueOnNextWrite.getAndSet(false)) {
                    loop.broadcastQueued(); // the next broadcast, queued while the first is written to this connection
                }
                ctx.write(msg, promise);
            }
        });
        connect("u2", "d2");
        loop.broadcastQueued();
        queueOnNextWrite.set(true);

        write(broadcast(1, "first"));

        assertThat(Outbound.text(channels.get(0))).contains("data: first");
        assertThat(channels.get(1).outboundMessages()).isEmpty();
        write(broadcast(2, "second"));
        loopOwner.runPendingTasks();
        assertThat(Outbound.text(channels.get(0))).contains("data: second").doesNotContain("first");
        assertThat(Outbound.text(channels.get(1))).contains("data: first").contains("data: second");
    }

    @Test
    void unicastsWrittenBeforeALoneBroadcastLeaveWithIt() {
        connect("u1", "d1");
        connect("u2", "d2");

        deliver(new StreamMessage("u1", 1, null, "for u1", Set.of(), 0));
        assertThat(channels.get(0).outboundMessages()).isEmpty();
        deliver(broadcast(2, "everyone"));

        String received = Outbound.text(channels.get(0));
        assertThat(received.indexOf("data: for u1")).isNotNegative().isLessThan(received.indexOf("data: everyone"));
        loopOwner.runPendingTasks();
        assertThat(Outbound.text(channels.get(0))).isEmpty();
    }

    @Test
    void aMessageToOneUserIsFlushedToItsConnectionsOnly() {
        connect("u1", "d1");
        connect("u2", "d2");

        deliver(new StreamMessage("u2", 1, "note", "for u2", Set.of(), 0));
        loopOwner.runPendingTasks();

        assertThat(Outbound.text(channels.get(0))).isEmpty();
        assertThat(Outbound.text(channels.get(1))).contains("event: note\ndata: for u2\n\n");
    }

    @Test
    void aMessageWrittenNowIsFlushedWithoutThePass() {
        connect("u1", "d1");
        StreamMessage message = new StreamMessage("u1", 1, null, "now", Set.of(), 0);
        ByteBuf body = SseFrames.body(loopOwner.alloc(), message.event(), message.data());
        try {
            assertThat(loop.deliverNow(connections.get(0), message, body)).isTrue();
        } finally {
            body.release();
        }

        assertThat(Outbound.text(channels.get(0))).contains("data: now\n\n");
    }

    @Test
    void aMessageAlreadyWrittenIsNotWrittenAgain() {
        connect("u1", "d1");

        deliver(broadcast(5, "fifth"));
        deliver(broadcast(5, "fifth"));
        loopOwner.runPendingTasks();

        String received = Outbound.text(channels.get(0));
        assertThat(received.indexOf("data: fifth")).isNotNegative().isEqualTo(received.lastIndexOf("data: fifth"));
    }
}
