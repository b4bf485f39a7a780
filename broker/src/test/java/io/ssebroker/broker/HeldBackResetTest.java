package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StreamMessage;
import io.ssebroker.sse.SseFraming;
import io.ssebroker.sse.SseFrames;
import io.ssebroker.sse.SseStream;
import io.ssebroker.testing.Outbound;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Resets that come while a connection's replay is written wait with the messages held back meanwhile, each after
 * those that came before it: a failover that lost a broadcast the connection holds back is told after that broadcast,
 * and the older broadcast of the new history that follows is written, not dropped as a copy.
 */
class HeldBackResetTest {
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final LocalConnection connection = new LocalConnection(
            new DeviceSession("u", "d", "nonce-d", "node:1", "127.0.0.1:1", 0), new SseStream(channel, SseFraming.RAW), 0, 0, null);

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private void deliver(StreamMessage message) {
        ByteBuf body = SseFrames.body(channel.alloc(), message.event(), message.data());
        try {
            connection.deliver(message, body);
        } finally {
            body.release();
        }
    }

    private static StreamMessage broadcast(long offset, String data) {
        return new StreamMessage(null, offset, null, data, Set.of(), 0);
    }

    @Test
    void aHistoryChangeDuringTheReplayIsWrittenAfterTheMessagesHeldBeforeIt() {
        deliver(broadcast(10, "lost"));
        connection.announceBroadcastReset(Replay.HISTORY_LOST);
        deliver(broadcast(5, "of the new history"));
        deliver(broadcast(5, "a copy"));

        connection.start(3000, new Replay(new Position("e", 0, 2), List.of(broadcast(3, "replayed")), null), null);

        String written = Outbound.text(channel);
        LoopConnectionsTest.assertOnceInOrder(written, "replayed", "lost", "history_lost", "of the new history");
        assertThat(written).doesNotContain("a copy");
        assertThat(connection.isLive()).isTrue();
    }

    /**
     * The replay read the stream after the change (it has the new history's first messages), and the engine hands
     * those on again after the reset: each is written once, and the next one after them goes on.
     */
    @Test
    void messagesOfTheNewHistoryTheReplayHadAreNotWrittenTwice() {
        connection.announceBroadcastReset(Replay.HISTORY_LOST);
        deliver(broadcast(5, "five"));
        deliver(broadcast(6, "six"));
        deliver(broadcast(7, "seven"));

        connection.start(3000, new Replay(new Position("e", 0, 2),
                List.of(broadcast(5, "five"), broadcast(6, "six")), null), null);

        LoopConnectionsTest.assertOnceInOrder(Outbound.text(channel), "five", "six", "history_lost", "seven");
    }

    @Test
    void anyResetDuringTheReplayKeepsItsPlaceAmongTheHeldBackMessages() {
        connection.announceReset(Replay.EXPIRED);
        deliver(broadcast(10, "after the first reset"));
        connection.announceReset(Replay.EXPIRED);

        connection.start(3000, new Replay(new Position("e", 0, 2), List.of(), null), null);

        String written = Outbound.text(channel);
        int message = written.indexOf("data: after the first reset\n");
        assertThat(written.indexOf("data: expired\n")).as("the first reset before the message").isBetween(0, message);
        assertThat(written.lastIndexOf("data: expired\n")).as("the second after it").isGreaterThan(message);
    }
}
