package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ssebroker.engine.StreamMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The follower of one stream channel: gaps read from the stream, messages handed on once and in order. */
class StreamFollowerTest {
    private final List<Long> delivered = new ArrayList<>();
    private final Deque<CompletableFuture<StreamFollower.Missed>> reads = new ArrayDeque<>();
    private final List<Long> readsAfter = new ArrayList<>();
    private final StreamFollower follower = new StreamFollower(offset -> {
        readsAfter.add(offset);
        CompletableFuture<StreamFollower.Missed> read = new CompletableFuture<>();
        reads.add(read);
        return read;
    }, message -> delivered.add(message.offset()), () -> delivered.add(-1L));

    private static ChannelMessage message(long offset, long previous) {
        return new ChannelMessage(StreamIds.toId(offset), StreamIds.toId(previous),
                new StreamMessage("u", offset, null, "m" + offset, Set.of(), 0));
    }

    private static StreamMessage entry(long offset) {
        return new StreamMessage("u", offset, null, "m" + offset, Set.of(), 0);
    }

    /** Whether it stands exactly at an offset, with nothing held back or being read: what lets a replay be skipped. */
    @Test
    void itStandsAtTheLastOffsetHandedOnOnlyWhenNothingIsHeldOrRead() {
        assertThat(follower.isAt(1)).as("not started").isFalse();
        follower.startAt(1);
        assertThat(follower.isAt(1)).isTrue();
        follower.received(message(2, 1));
        assertThat(follower.isAt(1)).isFalse();
        assertThat(follower.isAt(2)).isTrue();
        follower.received(message(4, 3)); // a gap: held while the stream is read
        assertThat(follower.isAt(2)).isFalse();
        reads.poll().complete(new StreamFollower.Missed(0, List.of(entry(3))));
        assertThat(follower.isAt(4)).isTrue();
        follower.close();
        assertThat(follower.isAt(4)).as("closed").isFalse();
    }

    @Test
    void messagesInOrderGoStraightOn() {
        follower.startAt(1);
        follower.received(message(2, 1));
        follower.received(message(3, 2));
        assertThat(delivered).containsExactly(2L, 3L);
        assertThat(readsAfter).isEmpty();
    }

    @Test
    void aGapIsReadFromTheStreamWhileLaterMessagesWait() {
        follower.startAt(1);
        follower.received(message(3, 2));
        follower.received(message(4, 3));
        assertThat(delivered).isEmpty();
        reads.poll().complete(new StreamFollower.Missed(0, List.of(entry(2), entry(3))));
        assertThat(delivered).containsExactly(2L, 3L, 4L);
    }

    /** A message lost after the read was made: the one held behind it waits for a second read. */
    @Test
    void aHeldMessageWithAGapBeforeItWaitsForAnotherRead() {
        follower.startAt(1);
        follower.received(message(3, 2));
        follower.catchUpNow(); // the subscription was made again meanwhile: message 4 was lost
        follower.received(message(5, 4));
        reads.poll().complete(new StreamFollower.Missed(0, List.of(entry(2), entry(3))));
        assertThat(delivered).containsExactly(2L, 3L);
        assertThat(readsAfter).containsExactly(1L, 3L);
        reads.poll().complete(new StreamFollower.Missed(0, List.of(entry(4), entry(5))));
        assertThat(delivered).containsExactly(2L, 3L, 4L, 5L);
    }

    /**
     * A catch-up read that found nothing, while the subscription was lost and made again once more: a message held
     * meanwhile whose predecessor was lost in that second gap waits for the read asked for then, not handed on over it.
     */
    @Test
    void aReadThatFoundNothingDoesNotHandOnOverASecondGap() {
        follower.startAt(5);
        follower.catchUpNow(); // resubscribed: read what was published while the channel was not
        follower.catchUpNow(); // lost and made again while that read was in flight: message 6 was published then
        follower.received(message(7, 6));
        reads.poll().complete(new StreamFollower.Missed(0, List.of())); // the first read ran before 6 was published
        assertThat(delivered).isEmpty();
        assertThat(readsAfter).containsExactly(5L, 5L);
        reads.poll().complete(new StreamFollower.Missed(0, List.of(entry(6), entry(7))));
        assertThat(delivered).containsExactly(6L, 7L);
        assertThat(follower.isAt(7)).isTrue();
    }

    /** A read that finds nothing for a held message's predecessor (not in the stream at all) does not loop. */
    @Test
    void aPredecessorTheStreamDoesNotHoldIsReadForOnce() {
        follower.startAt(5);
        follower.received(message(7, 6));
        reads.poll().complete(new StreamFollower.Missed(0, List.of()));
        assertThat(delivered).containsExactly(7L);
        assertThat(readsAfter).containsExactly(5L);
    }

    @Test
    void entriesTrimmedBeforeTheyWereReadAreAnnounced() {
        follower.startAt(1);
        follower.received(message(9, 8));
        reads.poll().complete(new StreamFollower.Missed(6, List.of(entry(7), entry(8))));
        assertThat(delivered).containsExactly(-1L, 7L, 8L, 9L);
    }

    @Test
    void aClosedFollowerDeliversNothingMore() {
        follower.startAt(1);
        follower.received(message(3, 2));
        follower.close();
        reads.poll().complete(new StreamFollower.Missed(0, List.of(entry(2), entry(3))));
        follower.received(message(4, 3));
        assertThat(delivered).isEmpty();
    }
}
