package io.ssebroker.sse;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.testing.Outbound;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a stream puts on the wire for a shared message body, small (copied) or large (shared). */
class SseStreamTest {
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final SseStream stream = new SseStream(channel, SseFraming.RAW);

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }


    private static String frame(String id, String event, String data) {
        ByteBuf frame = SseFrames.frame(UnpooledByteBufAllocator.DEFAULT, new TextId(id), event, data);
        try {
            return frame.toString(StandardCharsets.UTF_8);
        } finally {
            frame.release();
        }
    }

    @Test
    void sharedFramesAreTheIdLineThenTheBodyAndWaitForAFlush() {
        String small = "hello";
        String large = "y".repeat(SseStream.COPIED_BODY_BYTES * 3);
        ByteBuf smallBody = SseFrames.body(channel.alloc(), "news", small);
        ByteBuf largeBody = SseFrames.body(channel.alloc(), null, large);

        stream.writeShared(new TextId("c.1"), smallBody);
        stream.writeShared(new TextId("c.2"), largeBody);

        assertThat(Outbound.text(channel)).as("nothing leaves before the flush").isEmpty();
        stream.flush();
        assertThat(Outbound.text(channel)).isEqualTo(frame("c.1", "news", small) + frame("c.2", null, large));
        assertThat(smallBody.refCnt()).as("the writer's reference is the caller's to release").isEqualTo(1);
        assertThat(largeBody.refCnt()).isEqualTo(1);
        smallBody.release();
        largeBody.release();
    }

    /**
     * Bytes written and not flushed yet count towards the unsent-bytes cap: a burst written in one turn of the loop
     * is offered to the socket before the client is judged, and a client that reads it all is not dropped.
     */
    @Test
    void aBurstPastTheCapBeforeItsFlushDropsNoClientThatReads() {
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1024, 2048));
        ByteBuf body = SseFrames.body(channel.alloc(), null, "z".repeat(1000));
        try {
            for (int i = 1; i <= 5; i++) {
                stream.writeShared(new TextId("c." + i), body);
            }
        } finally {
            body.release();
        }
        assertThat(stream.closedForSlowness()).isFalse();
        stream.flush();
        assertThat(Outbound.text(channel)).contains("id: c.1\n").contains("id: c.5\n");
    }

    @Test
    void aFlushWithNothingWrittenSendsNothing() {
        stream.flush();

        assertThat(channel.outboundMessages()).isEmpty();
    }
}
