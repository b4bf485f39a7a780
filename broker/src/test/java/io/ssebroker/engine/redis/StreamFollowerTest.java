package io.ssebroker.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StreamMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The follower of one stream channel: gaps read from the stream, messages handed on once and in order. */
class StreamFollowerTest {
    // the follower reads again from a timer's thread after a pause: collections that thread may change
    private final List<Long> delivered = new CopyOnWriteArrayList<>();
    private final Deque<CompletableFuture<StreamFollower.Missed>> reads = new ConcurrentLinkedDeque<>();
    private final List<Long> readsAfter = new CopyOnWriteArrayList<>();
    private final StreamFollower follower = new StreamFollower(offset -> {
        readsAfter.add(offset);
        CompletableFuture<StreamFollower.Missed> read = new CompletableFuture<>();
        reads.add(read);
        return read;
    }, message -> delivered.add(message.offset()), reason -> delivered.add(RESETS.get(reason)));

    /** A follower like the one above whose messages wait this long for a predecessor that reads do not find. */
    private StreamFollower followerWaiting(Duration wait) {
        return followerWaiting(wait, Duration.ofSeconds(10));
    }

    /** As above, with how long held messages wait while reads fail. */
    private StreamFollower followerWaiting(Duration wait, Duration failingReadsWait) {
        return new StreamFollower(offset -> {
            readsAfter.add(offset);
            CompletableFuture<StreamFollower.Missed> read = new CompletableFuture<>();
            reads.add(read);
            return read;
        }, message -> delivered.add(message.offset()), reason -> delivered.add(RESETS.get(reason)), wait.toNanos(),
                failingReadsWait.toNanos());
    }

    /** A follower whose reads all fail, and whose held messages wait this long for them. */
    private StreamFollower followerFailingReadsFor(Duration wait) {
        return new StreamFollower(offset -> {
            readsAfter.add(offset);
            return CompletableFuture.failedFuture(new IllegalStateException("Redis did not answer the read"));
        }, message -> delivered.add(message.offset()), reason -> delivered.add(RESETS.get(reason)),
                Duration.ofSeconds(5).toNanos(), wait.toNanos());
    }

    /** A reset, as it shows among the offsets handed on. */
    private static final Map<String, Long> RESETS = Map.of(Replay.EXPIRED, -1L, Replay.HISTORY_LOST, -2L);

    private static ChannelMessage message(long offset, long previous) {
        return new ChannelMessage(StreamIds.toId(offset), StreamIds.toId(previous),
                new StreamMessage("u", offset, null, "m" + offset, Set.of(), 0));
    }

    /** What a read found: the stream's cut, and these entries after the offset read after, the last its newest. */
    private static StreamFollower.Missed read(long cut, long... offsets) {
        List<StreamMessage> entries = new ArrayList<>();
        for (long offset : offsets) {
            entries.add(entry(offset));
        }
        return new StreamFollower.Missed(cut, offsets.length == 0 ? -1 : offsets[offsets.length - 1], entries);
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
        reads.poll().complete(read(0, 3));
        assertThat(follower.isAt(4)).isTrue();
        follower.close();
        assertThat(follower.isAt(4)).as("closed").isFalse();
    }

    /**
     * The channel was subscribed again before the first registration of the user answered its start: a message
     * published while the channel was down comes after that start, and is read from the stream once the start is known.
     */
    @Test
    void aCatchUpAskedForBeforeTheStartRunsOnceTheStartIsKnown() {
        follower.catchUpNow();
        assertThat(readsAfter).isEmpty();
        follower.startAt(1);
        assertThat(readsAfter).containsExactly(1L);
        assertThat(follower.isAt(1)).as("not settled while it reads").isFalse();
        reads.poll().complete(read(0, 2));
        assertThat(delivered).containsExactly(2L);
        assertThat(follower.isAt(2)).isTrue();
        follower.startAt(5); // a start known already is kept, and asks for nothing
        assertThat(readsAfter).containsExactly(1L);
    }

    /**
     * A catch-up read served by a server whose history is not the channel's (the command connection still on the old
     * master, which took a write after the switch) hands on a message newer than one held: the held one is handed on
     * after a history change, else the connections would drop it for a copy.
     */
    @Test
    void aHeldMessageOlderThanWhatTheReadHandedOnComesAfterAHistoryChange() {
        follower.startAt(100);
        follower.received(message(103, 102)); // from the new master: its predecessors were not received
        reads.poll().complete(read(0, 105)); // the old master's stream
        assertThat(delivered).containsExactly(105L, -2L, 103L);
        follower.received(message(104, 103)); // older than 105: the history changed, and is read again
        reads.poll().complete(read(0, 101, 102, 103, 104)); // the new master's
        assertThat(delivered).as("every message of the surviving history, once")
                .containsExactly(105L, -2L, 103L, -2L, 101L, 102L, 104L);
    }

    /** The same when the reads fail until the held messages are handed on over the gap. */
    @Test
    void aHeldMessageOlderThanTheLastHandedOnComesAfterAHistoryChangeWhenReadsFail() {
        StreamFollower failing = followerWaiting(Duration.ofSeconds(5), Duration.ZERO);
        failing.startAt(100);
        failing.received(message(105, 100)); // the old master's, before the switch
        failing.catchUpNow(); // the subscription was made again on the new master
        failing.received(message(104, 103));
        reads.poll().completeExceptionally(new IllegalStateException("the command connection is on the old master"));
        assertThat(delivered).containsExactly(105L, -1L, -2L, 104L);
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
        reads.poll().complete(read(0, 2, 3));
        assertThat(delivered).containsExactly(2L, 3L, 4L);
    }

    /** A message lost after the read was made: the one held behind it waits for a second read. */
    @Test
    void aHeldMessageWithAGapBeforeItWaitsForAnotherRead() {
        follower.startAt(1);
        follower.received(message(3, 2));
        follower.catchUpNow(); // the subscription was made again meanwhile: message 4 was lost
        follower.received(message(5, 4));
        reads.poll().complete(read(0, 2, 3));
        assertThat(delivered).containsExactly(2L, 3L);
        assertThat(readsAfter).containsExactly(1L, 3L);
        reads.poll().complete(read(0, 4, 5));
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
        reads.poll().complete(read(0)); // the first read ran before 6 was published
        assertThat(delivered).isEmpty();
        assertThat(readsAfter).containsExactly(5L, 5L);
        reads.poll().complete(read(0, 6, 7));
        assertThat(delivered).containsExactly(6L, 7L);
        assertThat(follower.isAt(7)).isTrue();
    }

    /**
     * A read that does not find a held message's predecessor, which was not trimmed either, came from a server behind
     * the master that published it (a Sentinel switch the command connection has not followed yet): the message
     * waits and the stream is read again after a pause, messages that come meanwhile waiting too.
     */
    @Test
    void aPredecessorAReadDidNotFindIsReadForAgainAfterAPause() {
        follower.startAt(5);
        follower.received(message(7, 6));
        reads.poll().complete(read(0));
        follower.received(message(8, 7));
        assertThat(delivered).isEmpty();
        assertThat(readsAfter).as("no read before the pause").containsExactly(5L);
        await().atMost(Duration.ofSeconds(5)).until(() -> !reads.isEmpty());
        reads.poll().complete(read(0, 6));
        assertThat(delivered).containsExactly(6L, 7L, 8L);
        assertThat(readsAfter).containsExactly(5L, 5L);
    }

    /** A read that finds the predecessor and the held message both ends the wait: a later gap waits afresh. */
    @Test
    void aWaitEndedByAReadThatFoundTheMessageToLeavesTheNextGapItsOwnWait() {
        StreamFollower shortWait = followerWaiting(Duration.ofMillis(1_500));
        shortWait.startAt(5);
        shortWait.received(message(7, 6));
        reads.poll().complete(read(0));
        await().atMost(Duration.ofSeconds(5)).until(() -> !reads.isEmpty());
        reads.poll().complete(read(0, 6, 7));
        assertThat(delivered).containsExactly(6L, 7L);
        await().pollDelay(Duration.ofMillis(1_600)).atMost(Duration.ofSeconds(5)).until(() -> true);
        shortWait.received(message(9, 8)); // a second gap, longer after the first wait began than a wait lasts
        reads.poll().complete(read(0));
        assertThat(delivered).as("waits again rather than going on at once").containsExactly(6L, 7L);
        await().atMost(Duration.ofSeconds(5)).until(() -> !reads.isEmpty());
        reads.poll().complete(read(0, 8));
        assertThat(delivered).containsExactly(6L, 7L, 8L, 9L);
    }

    /** One that reads never find is handed on in the end, with a reset rather than over a silent gap. */
    @Test
    void aPredecessorReadsNeverFindIsHandedOnWithAReset() {
        StreamFollower shortWait = followerWaiting(Duration.ofMillis(300));
        shortWait.startAt(5);
        shortWait.received(message(7, 6));
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            CompletableFuture<StreamFollower.Missed> read = reads.poll();
            if (read != null) {
                read.complete(read(0));
            }
            return !delivered.isEmpty();
        });
        assertThat(delivered).containsExactly(-2L, 7L);
        assertThat(readsAfter.size()).as("read again until the wait was over").isGreaterThan(1);
    }

    /**
     * Reads that fail while the channel carries messages: the held ones wait for them a while, then are handed on with
     * a reset rather than held without end.
     */
    @Test
    void messagesHeldForReadsThatKeepFailingAreHandedOnWithAResetInTheEnd() {
        StreamFollower failing = followerFailingReadsFor(Duration.ofMillis(500));
        failing.startAt(5);
        failing.received(message(7, 6));
        failing.received(message(8, 7));
        assertThat(delivered).as("held while the reads fail").isEmpty();
        await().atMost(Duration.ofSeconds(5)).until(() -> !delivered.isEmpty());
        assertThat(delivered).containsExactly(-1L, 7L, 8L);

        failing.received(message(9, 8));
        assertThat(delivered).as("after the gap, in order again").containsExactly(-1L, 7L, 8L, 9L);
    }

    @Test
    void noMoreThanTenThousandMessagesWaitForReadsThatFail() {
        StreamFollower failing = followerFailingReadsFor(Duration.ofHours(1));
        failing.startAt(5);
        for (long offset = 7; offset < 7 + 9_999; offset++) {
            failing.received(message(offset, offset - 1));
        }
        assertThat(delivered).isEmpty();
        failing.received(message(7 + 9_999, 7 + 9_998));
        assertThat(delivered).hasSize(10_001).startsWith(-1L, 7L, 8L).endsWith(7L + 9_999);
    }

    /** A predecessor that was trimmed is explained: announced as expired, and the message handed on at once. */
    @Test
    void aTrimmedPredecessorIsNotWaitedFor() {
        follower.startAt(5);
        follower.received(message(7, 6));
        reads.poll().complete(read(6));
        assertThat(delivered).containsExactly(-1L, 7L);
        assertThat(readsAfter).containsExactly(5L);
    }

    @Test
    void entriesTrimmedBeforeTheyWereReadAreAnnounced() {
        follower.startAt(1);
        follower.received(message(9, 8));
        reads.poll().complete(read(6, 7, 8));
        assertThat(delivered).containsExactly(-1L, 7L, 8L, 9L);
    }

    /**
     * A failover lost a write this node had handed on (12: the old master published it, frozen and back for a
     * moment), and the new master appended 11 after 10: older than 12, it is no copy.
     */
    @Test
    void anEntryOlderThanTheLastHandedOnButNeverHandedOnIsReadAgainWithAReset() {
        follower.startAt(9);
        follower.received(message(10, 9));
        follower.received(message(12, 10));
        follower.received(message(11, 10));
        assertThat(delivered).containsExactly(10L, 12L, -2L);
        assertThat(readsAfter).as("read again from the oldest offset remembered").containsExactly(9L);
        reads.poll().complete(read(0, 10, 11));
        assertThat(delivered).containsExactly(10L, 12L, -2L, 11L);
        follower.received(message(13, 11));
        assertThat(delivered).as("then on from the history as it is").containsExactly(10L, 12L, -2L, 11L, 13L);
        follower.received(message(12, 10));
        assertThat(delivered).as("no copy of what was handed on").hasSize(5);
    }

    /** The same when the new master's 11 never came by the channel: 13 follows it, older than the 12 handed on. */
    @Test
    void aPredecessorOlderThanTheLastHandedOnShowsTheHistoryChanged() {
        follower.startAt(9);
        follower.received(message(10, 9));
        follower.received(message(12, 10));
        follower.received(message(13, 11));
        reads.poll().complete(read(0, 10, 11, 13));
        assertThat(delivered).containsExactly(10L, 12L, -2L, 11L, 13L);
        assertThat(follower.isAt(13)).isTrue();
    }

    /**
     * Messages that came by the channel before the start (the user's first device on this node, its registration
     * still under way) were handed on; the start still sets where a rewind goes back to.
     */
    @Test
    void aRewindAfterMessagesThatCameBeforeTheStartGoesBackToTheStart() {
        follower.received(message(10, 9));
        follower.startAt(9);
        follower.received(message(12, 10));
        follower.catchUpNow();
        reads.poll().complete(new StreamFollower.Missed(0, 11, List.of()));
        assertThat(readsAfter).as("read again after the start, not after -1").containsExactly(12L, 9L);
        reads.poll().complete(read(0, 10, 11));
        assertThat(delivered).containsExactly(10L, 12L, -2L, 11L);
    }

    /** Without a start at all, a rewind reads the stream from its beginning. */
    @Test
    void aRewindBeforeAnyStartReadsFromTheBeginning() {
        follower.received(message(10, 9));
        follower.received(message(12, 10));
        follower.catchUpNow();
        reads.poll().complete(new StreamFollower.Missed(0, 11, List.of()));
        assertThat(readsAfter).containsExactly(12L, 0L);
        reads.poll().complete(read(0, 5, 10, 11));
        assertThat(delivered).containsExactly(10L, 12L, -2L, 5L, 11L);
    }

    /** And when nothing comes after it: the catch-up after the failover finds the stream ending before 12. */
    @Test
    void aStreamThatEndsBeforeTheLastHandedOnShowsTheHistoryChanged() {
        follower.startAt(9);
        follower.received(message(10, 9));
        follower.received(message(12, 10));
        follower.catchUpNow();
        reads.poll().complete(new StreamFollower.Missed(0, 11, List.of()));
        assertThat(delivered).containsExactly(10L, 12L, -2L);
        reads.poll().complete(read(0, 10, 11));
        assertThat(delivered).containsExactly(10L, 12L, -2L, 11L);
        assertThat(readsAfter).containsExactly(12L, 9L);
        assertThat(reads).as("no more reads").isEmpty();
    }

    /**
     * A rewind whose read finds nothing new (the entry lost was the last, nothing appended since) leaves the follower
     * at the stream's newest entry, all of it handed on before: not at the floor it read from, where a connection
     * with a cursor there would be taken to have missed nothing.
     */
    @Test
    void aRewindThatFindsNothingNewStandsAtTheStreamsNewestEntry() {
        follower.startAt(9);
        follower.received(message(10, 9));
        follower.received(message(11, 10));
        follower.received(message(12, 11));
        follower.catchUpNow();
        reads.poll().complete(new StreamFollower.Missed(0, 11, List.of()));
        reads.poll().complete(read(0, 10, 11));
        assertThat(delivered).containsExactly(10L, 11L, 12L, -2L);
        assertThat(follower.isAt(9)).as("not where the rewind read from").isFalse();
        assertThat(follower.isAt(11)).isTrue();
        assertThat(follower.handedOn()).isEqualTo(11);
    }

    /**
     * The read after the rewind comes from a server that still has the lost entry (the command connection not yet on
     * the new master): the follower does not stand past the held message of the new history, which follows what it
     * handed on and goes on at once, and no reset is repeated for the messages after it.
     */
    @Test
    void aRewindReadFromAServerThatStillHasTheLostEntryDoesNotStandPastTheNewHistory() {
        follower.startAt(9);
        follower.received(message(10, 9));
        follower.received(message(12, 10)); // lost in the failover
        follower.received(message(11, 10)); // the new master's: older than 12, after 10
        assertThat(readsAfter).containsExactly(9L);
        reads.poll().complete(read(0, 10, 12));
        assertThat(delivered).containsExactly(10L, 12L, -2L, 11L);
        assertThat(follower.isAt(11)).isTrue();
        follower.received(message(13, 11));
        assertThat(delivered).as("no second reset").containsExactly(10L, 12L, -2L, 11L, 13L);
    }

    /**
     * After the history changed, more than the remembered number of entries older than the last one handed on: the
     * entries of the new history are all handed on, none taken for old news when the newest remembered offset (the
     * one lost) is forgotten.
     */
    @Test
    void manyEntriesOfTheNewHistoryOlderThanTheOneLostAreAllHandedOn() {
        follower.startAt(1_000);
        follower.received(message(1_001, 1_000));
        follower.received(message(5_000, 1_001)); // lost in the failover
        follower.received(message(1_002, 1_001)); // the new master's first: older than 5,000, never handed on
        assertThat(readsAfter).containsExactly(1_000L);
        long[] newHistory = new long[300];
        newHistory[0] = 1_001;
        for (int i = 1; i < newHistory.length; i++) {
            newHistory[i] = 1_001 + i;
        }
        reads.poll().complete(read(0, newHistory));
        List<Long> expected = new ArrayList<>(List.of(1_001L, 5_000L, -2L));
        for (int i = 1; i < newHistory.length; i++) {
            expected.add(newHistory[i]);
        }
        assertThat(delivered).containsExactlyElementsOf(expected);
        follower.received(message(1_301, 1_300));
        assertThat(delivered).last().isEqualTo(1_301L);
    }

    /** 101 and 102, then 110, which a failover loses. */
    private void handOnAnEntryThatAFailoverLoses() {
        follower.startAt(100);
        follower.received(message(101, 100));
        follower.received(message(102, 101));
        follower.received(message(110, 102));
    }

    /**
     * The stream was trimmed past the offset a rewind reads from, but only of entries handed on before (101): no
     * {@code expired} reset, since nothing this node never delivered is gone.
     */
    @Test
    void aRewindPastEntriesTrimmedAfterTheyWereHandedOnAnnouncesNoExpiry() {
        handOnAnEntryThatAFailoverLoses();
        follower.received(message(105, 102)); // the new master's
        assertThat(readsAfter).containsExactly(100L);
        reads.poll().complete(read(101, 102, 105));
        assertThat(delivered).containsExactly(101L, 102L, 110L, -2L, 105L);
    }

    /** Trimmed past an entry of the new history that this node never handed on (103): that one is announced. */
    @Test
    void aRewindPastAnEntryTrimmedBeforeItWasHandedOnAnnouncesTheExpiry() {
        handOnAnEntryThatAFailoverLoses();
        follower.received(message(105, 103)); // the new master's 103 never came by the channel, and is trimmed
        reads.poll().complete(read(103, 105));
        assertThat(delivered).containsExactly(101L, 102L, 110L, -2L, -1L, 105L);
    }

    @Test
    void aClosedFollowerDeliversNothingMore() {
        follower.startAt(1);
        follower.received(message(3, 2));
        follower.close();
        reads.poll().complete(read(0, 2, 3));
        follower.received(message(4, 3));
        assertThat(delivered).isEmpty();
    }
}
