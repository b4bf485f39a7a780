package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The replay is written as the client reads it, never more than the unsent-bytes cap ahead, and the connection goes
 * live only once it is under the cap again: its first live message must not find it over the cap and drop a client
 * that reads.
 */
class ReplayPacingTest {
    private static final String PADDING = "x".repeat(3000);

    /** A socket whose client has not read yet: flushes wait until {@link #letTheClientRead} lets them through. */
    private static final class UnreadSocket extends ChannelDuplexHandler {
        private boolean reading;

        @Override
        public void flush(ChannelHandlerContext ctx) {
            if (reading) {
                ctx.flush();
            }
        }

        void letTheClientRead(ChannelHandlerContext ctx) {
            reading = true;
            ctx.flush();
        }
    }

    private final UnreadSocket socket = new UnreadSocket();
    private final EmbeddedChannel channel = new EmbeddedChannel(socket);
    private final SseStream stream = new SseStream(channel, SseFraming.RAW);
    private final LocalConnection connection = new LocalConnection(
            new DeviceSession("u", "d", "nonce-d", "node:1", "127.0.0.1:1", 0), stream, 0, 0, null);

    ReplayPacingTest() {
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(4096, 8192)); // a cap of 8 KB
        channel.pipeline().addFirst(new ChannelDuplexHandler() {
            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                stream.writabilityChanged();
                ctx.fireChannelWritabilityChanged();
            }
        });
    }

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private static StreamMessage message(long offset, String data) {
        return new StreamMessage("u", offset, null, data, Set.of(), 0);
    }

    @Test
    void aReplayWhoseLastFrameCrossesTheCapGoesLiveOnlyOnceTheClientRead() {
        // three frames of 3 KB: the last one takes the unsent bytes past the 8 KB cap
        connection.start(3000, new Replay(new Position("e", 0, 0),
                List.of(message(1, "1 " + PADDING), message(2, "2 " + PADDING), message(3, "3 " + PADDING)), null), null);
        assertThat(channel.isWritable()).isFalse();
        ByteBuf body = SseFrames.body(channel.alloc(), null, "live");
        try {
            connection.deliver(message(4, "live"), body);
        } finally {
            body.release();
        }
        assertThat(stream.closedForSlowness()).as("a client that has not read yet is not dropped").isFalse();

        socket.letTheClientRead(channel.pipeline().context(socket));
        channel.runPendingTasks();
        assertThat(connection.isLive()).isTrue();
        String written = Outbound.text(channel);
        LoopConnectionsTest.assertOnceInOrder(written, "1 " + PADDING, "2 " + PADDING, "3 " + PADDING, "live");
        assertThat(channel.isOpen()).isTrue();
    }

    /**
     * A client that reads everything at once (each flush drains the socket) gets a long replay in slices, one per
     * loop turn, rather than through a call per cap's worth of bytes nested in the last one.
     */
    @Test
    void aLongReplayToAClientThatKeepsUpIsWrittenOneSliceALoopTurn() {
        socket.letTheClientRead(channel.pipeline().context(socket));
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(64, 128)); // a slice of a few frames
        List<StreamMessage> messages = new ArrayList<>();
        int count = 100_000;
        for (int i = 1; i <= count; i++) {
            messages.add(message(i, "m" + i + " " + "y".repeat(40)));
        }
        connection.start(3000, new Replay(new Position("e", 0, 0), messages, null), null);
        assertThat(connection.isLive()).as("the loop's other channels get a turn between slices").isFalse();
        channel.runPendingTasks(); // every turn, each one's slice queueing the next
        assertThat(connection.isLive()).isTrue();
        for (Object written = channel.readOutbound(); written != null; written = channel.readOutbound()) {
            ReferenceCountUtil.release(written);
        }
        assertThat(channel.isOpen()).isTrue();
    }
}
