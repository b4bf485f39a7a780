package io.ssebroker.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Position;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StreamMessage;
import io.ssebroker.sse.SseFraming;
import io.ssebroker.sse.SseFrames;
import io.ssebroker.sse.SseStream;
import io.ssebroker.testing.Outbound;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Broadcasts are written in passes that yield to the loop's other tasks between slices, each connection flushed once
 * it has every broadcast of the pass; messages to a user are flushed together at the end of the loop's iteration or
 * at once, after the broadcasts handed to the loop before them.
 */
class LoopConnectionsTest {
    private static final int STRIDE = LoopConnections.CLOCK_STRIDE;

    private final Loop loop = new Loop();

    @AfterEach
    void close() {
        loop.close();
    }

    /** One loop's connections on embedded channels; its passes write {@link #STRIDE} connections per slice. */
    private static final class Loop {
        final EmbeddedChannel owner = new EmbeddedChannel();
        final LoopConnections connections = new LoopConnections(owner.eventLoop(), 30_000, 0, n -> { }, () -> { });
        final List<EmbeddedChannel> channels = new ArrayList<>();
        final List<LocalConnection> connected = new ArrayList<>();

        LocalConnection connect(String uid, String device, ChannelHandler... handlers) {
            EmbeddedChannel channel = new EmbeddedChannel(handlers);
            LocalConnection connection = new LocalConnection(
                    new DeviceSession(uid, device, "nonce-" + device, "node:1", "127.0.0.1:1", 0),
                    new SseStream(channel, SseFraming.RAW), 0, 0, null);
            connection.start(3000, new Replay(new Position("e", 0, 0), List.of(), null), null);
            channel.releaseOutbound();
            connections.add(connection);
            channels.add(channel);
            connected.add(connection);
            return connection;
        }

        void connectMany(int count) {
            for (int i = 0; i < count; i++) {
                connect("u" + i, "d" + i);
            }
        }

        void disconnect(LocalConnection connection) {
            connections.remove(connection);
            int index = connected.indexOf(connection);
            connected.remove(index);
            channels.remove(index).finishAndReleaseAll();
        }

        /** Delivers as the broker does: a broadcast is counted as queued, then handed over with a reference. */
        void deliver(StreamMessage message) {
            ByteBuf body = SseFrames.body(owner.alloc(), message.event(), message.data());
            try {
                if (message.isBroadcast()) {
                    connections.broadcastQueued();
                    connections.broadcast(message, body.retain());
                } else {
                    connected.stream().filter(c -> c.session.uid().equals(message.uid()))
                            .forEach(c -> connections.deliver(c, message, body));
                }
            } finally {
                body.release();
            }
        }

        /** How many connections have been sent the data so far (without taking what they were sent). */
        int reached(String data) {
            int count = 0;
            for (EmbeddedChannel channel : channels) {
                for (Object message : channel.outboundMessages()) {
                    if (((ByteBuf) message).toString(StandardCharsets.UTF_8).contains("data: " + data + "\n")) {
                        count++;
                        break;
                    }
                }
            }
            return count;
        }

        /**
         * Runs the loop's tasks, and the slices that passes schedule behind them, until only the heartbeat's far-off
         * tick is left (a slice scheduled while scheduled tasks run waits for the next round, as on a real loop).
         */
        void runTasks() {
            long nextDue;
            do {
                owner.runPendingTasks();
                nextDue = owner.runScheduledPendingTasks();
            } while (nextDue >= 0 && nextDue < TimeUnit.SECONDS.toNanos(1));
        }

        void close() {
            channels.forEach(EmbeddedChannel::finishAndReleaseAll);
            owner.finishAndReleaseAll();
        }
    }

    private static StreamMessage broadcast(long offset, String data) {
        return new StreamMessage(null, offset, null, data, Set.of(), 0);
    }

    /** Each of these data lines is written once, in this order (also used by other tests of the package). */
    static void assertOnceInOrder(String text, String... data) {
        int previous = -1;
        for (String each : data) {
            int at = text.indexOf("data: " + each + "\n");
            assertThat(at).as(each).isGreaterThan(previous).isEqualTo(text.lastIndexOf("data: " + each + "\n"));
            previous = at;
        }
    }

    @Test
    void aBroadcastIsFlushedToEachConnectionAsItIsWritten() {
        loop.connectMany(2);

        loop.deliver(broadcast(1, "alone"));

        assertThat(loop.channels).allSatisfy(channel -> assertThat(Outbound.text(channel)).contains("data: alone\n\n"));
    }

    @Test
    void aPassYieldsToTheLoopsOtherTasksBetweenSlices() {
        int count = 2 * STRIDE + 3;
        loop.connectMany(count);
        List<Integer> reachedWhenTheTaskRan = new ArrayList<>();

        loop.deliver(broadcast(1, "everyone"));
        loop.owner.eventLoop().execute(() -> reachedWhenTheTaskRan.add(loop.reached("everyone")));

        assertThat(loop.reached("everyone")).isEqualTo(STRIDE);
        assertThat(loop.connections.hasBroadcastQueued()).isTrue();
        loop.runTasks();
        assertThat(reachedWhenTheTaskRan).containsExactly(STRIDE);
        assertThat(loop.reached("everyone")).isEqualTo(count);
        assertThat(loop.connections.hasBroadcastQueued()).isFalse();
    }

    @Test
    void broadcastsHandedOverDuringAPassLeaveTogetherInTheNext() {
        List<AtomicInteger> flushes = new ArrayList<>();
        for (int i = 0; i < STRIDE + 1; i++) {
            AtomicInteger flushed = new AtomicInteger();
            flushes.add(flushed);
            loop.connect("u" + i, "d" + i, new ChannelOutboundHandlerAdapter() {
                @Override
                public void flush(ChannelHandlerContext ctx) {
                    flushed.incrementAndGet();
                    ctx.flush();
                }
            });
        }
        flushes.forEach(flushed -> flushed.set(0));

        loop.deliver(broadcast(1, "first"));
        loop.deliver(broadcast(2, "second"));
        loop.deliver(broadcast(3, "third"));
        loop.runTasks();

        assertThat(flushes).allSatisfy(flushed -> assertThat(flushed).hasValue(2));
        assertThat(loop.channels).allSatisfy(channel -> assertOnceInOrder(Outbound.text(channel), "first", "second", "third"));
    }

    @Test
    void aMessageToAConnectionThePassHasNotReachedFollowsTheBroadcastsHandedOverBeforeIt() {
        int count = STRIDE + 2;
        loop.connectMany(count);

        loop.deliver(broadcast(1, "first"));
        loop.deliver(broadcast(2, "second"));
        loop.deliver(new StreamMessage("u" + (count - 1), 1, null, "for the last", Set.of(), 0));
        loop.runTasks();

        assertOnceInOrder(Outbound.text(loop.channels.get(count - 1)), "first", "second", "for the last");
    }

    @Test
    void broadcastsWrittenAheadOfAMessageForAnotherDeviceAreFlushedAllTheSame() {
        int count = STRIDE + 2;
        loop.connectMany(count);

        loop.deliver(broadcast(1, "first"));
        loop.deliver(new StreamMessage("u" + (count - 1), 1, null, "for another device", Set.of("elsewhere"), 0));
        loop.runTasks();

        assertOnceInOrder(Outbound.text(loop.channels.get(count - 1)), "first");
    }

    /**
     * Connections come and go between the slices of a pass (a removal moves the last connection into the hole):
     * every connection there from the start to the end has the broadcast exactly once, one added meanwhile at most
     * once (a new connection starts after what the node has handed on).
     */
    @Property(tries = 300)
    void connectionsComingAndGoingDuringAPassEachHaveTheBroadcastOnce(
            @ForAll @IntRange(min = 1, max = 70) int initial,
            @ForAll @Size(max = 12) List<@IntRange(min = -1, max = 99) Integer> changes) {
        Loop each = new Loop();
        try {
            each.connectMany(initial);
            each.deliver(broadcast(1, "everyone"));
            // a change runs between two slices, and schedules the next one behind the pass's next slice
            Deque<Integer> pending = new ArrayDeque<>(changes);
            Runnable[] change = new Runnable[1];
            change[0] = () -> {
                Integer which = pending.poll();
                if (which == null) {
                    return;
                }
                if (which < 0 || each.connected.isEmpty()) {
                    each.connect("added" + pending.size(), "added-d" + pending.size());
                } else {
                    each.disconnect(each.connected.get(which % each.connected.size()));
                }
                each.owner.eventLoop().schedule(change[0], 0, TimeUnit.NANOSECONDS);
            };
            each.owner.eventLoop().schedule(change[0], 0, TimeUnit.NANOSECONDS);
            each.runTasks();

            assertThat(each.connections.connections()).containsExactlyInAnyOrderElementsOf(each.connected);
            for (int i = 0; i < each.connected.size(); i++) {
                String text = Outbound.text(each.channels.get(i));
                if (each.connected.get(i).device().startsWith("added")) {
                    assertThat(text.indexOf("data: everyone")).isEqualTo(text.lastIndexOf("data: everyone"));
                } else {
                    assertOnceInOrder(text, "everyone");
                }
            }
        } finally {
            each.close();
        }
    }

    @Test
    void unicastsWrittenBeforeABroadcastLeaveWithIt() {
        loop.connectMany(2);

        loop.deliver(new StreamMessage("u0", 1, null, "for u0", Set.of(), 0));
        assertThat(loop.channels.get(0).outboundMessages()).isEmpty();
        loop.deliver(broadcast(2, "everyone"));

        assertOnceInOrder(Outbound.text(loop.channels.get(0)), "for u0", "everyone");
        loop.runTasks();
        assertThat(Outbound.text(loop.channels.get(0))).isEmpty();
    }

    @Test
    void aMessageToOneUserIsFlushedToItsConnectionsOnly() {
        loop.connectMany(2);

        loop.deliver(new StreamMessage("u1", 1, "note", "for u1", Set.of(), 0));
        loop.runTasks();

        assertThat(Outbound.text(loop.channels.get(0))).isEmpty();
        assertThat(Outbound.text(loop.channels.get(1))).contains("event: note\ndata: for u1\n\n");
    }

    @Test
    void aMessageWrittenNowIsFlushedWithoutThePass() {
        LocalConnection connection = loop.connect("u1", "d1");
        StreamMessage message = new StreamMessage("u1", 1, null, "now", Set.of(), 0);
        ByteBuf body = SseFrames.body(loop.owner.alloc(), message.event(), message.data());
        try {
            assertThat(loop.connections.deliverNow(connection, message, body)).isTrue();
        } finally {
            body.release();
        }

        assertThat(Outbound.text(loop.channels.get(0))).contains("data: now\n\n");
    }

    @Test
    void aMessageAlreadyWrittenIsNotWrittenAgain() {
        loop.connectMany(1);

        loop.deliver(broadcast(5, "fifth"));
        loop.deliver(broadcast(5, "fifth"));
        loop.runTasks();

        assertOnceInOrder(Outbound.text(loop.channels.get(0)), "fifth");
    }

    /**
     * A failover lost a broadcast while a pass was writing it: the reset handed over after it reaches every connection
     * after that broadcast, also those the pass had not reached yet, and the older broadcast of the new history that
     * follows is written after the reset, not dropped as a copy of the lost one.
     */
    @Test
    void aResetOfTheBroadcastStreamFollowsTheBroadcastsOfThePassBeforeIt() {
        int count = STRIDE + 2;
        loop.connectMany(count);

        loop.deliver(broadcast(10, "lost"));
        assertThat(loop.reached("lost")).as("the pass yielded").isEqualTo(STRIDE);
        loop.connections.broadcastQueued();
        loop.connections.broadcastReset(Replay.HISTORY_LOST);
        loop.deliver(broadcast(5, "of the new history"));
        loop.runTasks();

        assertThat(loop.channels).allSatisfy(channel -> {
            String text = Outbound.text(channel);
            assertOnceInOrder(text, "lost", "history_lost", "of the new history");
        });
        assertThat(loop.connections.hasBroadcastQueued()).isFalse();
    }

    /** A message to a connection the pass has not reached takes the reset with the broadcasts before it, once. */
    @Test
    void aMessageAheadOfThePassTakesTheResetInOrderOnce() {
        int count = STRIDE + 2;
        loop.connectMany(count);

        loop.deliver(broadcast(10, "lost"));
        loop.connections.broadcastQueued();
        loop.connections.broadcastReset(Replay.HISTORY_LOST);
        loop.deliver(new StreamMessage("u" + (count - 1), 1, null, "for the last", Set.of(), 0));
        loop.deliver(broadcast(5, "of the new history"));
        loop.runTasks();

        assertOnceInOrder(Outbound.text(loop.channels.get(count - 1)), "lost", "history_lost", "for the last",
                "of the new history");
    }

    /**
     * A connection that joined the loop during the pass is written what the pass still had to write, the reset in its
     * place: its replay may not have the broadcast (read from a server a failover had not reached yet).
     */
    @Test
    void aConnectionThatJoinedDuringThePassHasTheResetInItsPlace() {
        loop.connectMany(STRIDE + 2);
        loop.deliver(broadcast(10, "lost"));
        loop.connections.broadcastQueued();
        loop.connections.broadcastReset(Replay.HISTORY_LOST);
        loop.connect("late", "late-device");
        loop.deliver(broadcast(5, "of the new history"));
        loop.runTasks();

        assertThat(loop.channels).allSatisfy(channel ->
                assertOnceInOrder(Outbound.text(channel), "lost", "history_lost", "of the new history"));
    }
}
