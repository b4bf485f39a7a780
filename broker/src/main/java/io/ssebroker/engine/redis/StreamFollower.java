package io.ssebroker.engine.redis;

import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StreamMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * Follows one stream's channel on this node and hands its messages on in order, once each. When a message says
 * its predecessor is one this node never saw (a publish lost between Redis and the node, or sent while the
 * connection was down), the missing entries are read from the stream first; messages arriving meanwhile wait.
 *
 * <p>A failover can lose writes that this node has handed on already (a master frozen, replaced, and back for a
 * moment, answering and publishing what its replica will never have). The stream then goes on from an earlier
 * entry, and entries appended there may be older than the last one handed on: they would pass for copies. The
 * follower remembers the offsets it handed on lately; a message older than the last one handed on but not among
 * them, a message whose predecessor is older than the last one handed on, or a stream that ends before it, shows
 * the history changed under it. It then reads the stream again from the oldest offset it remembers, hands on
 * what it never did, and tells the stream's connections ({@code sys_reset history_lost}: what they got may no
 * longer be in the history, and cursors taken from it may miss what replaced it).
 */
final class StreamFollower {
    /** How many of the offsets handed on last are remembered. */
    private static final int REMEMBERED = 128;
    /**
     * How long a message whose predecessor a read did not find (and that was not trimmed) waits for reads that do:
     * such a read went to a server behind the master that published it (after a Sentinel switch, the command
     * connection follows the new master seconds after the subscriptions). Past it, the message is handed on with a
     * reset rather than over a silent gap.
     */
    private static final long UNEXPLAINED_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
    /**
     * How long messages held for a catch-up wait while its reads fail (Redis answers the channel but not the reads: a
     * command connection that timed out, a shard that refuses them) before they are handed on over the gap, with a
     * reset; and how many may wait at most. Held without a bound, they would grow with every message of the stream.
     */
    private static final long FAILING_READS_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int MAX_HELD = 10_000;
    /** The first pause before such a read; the pauses double (with jitter) up to 16 times it. */
    private static final long UNEXPLAINED_PAUSE_MILLIS = 100;
    private static final int MAX_PAUSE_DOUBLINGS = 4;

    private final LongFunction<CompletableFuture<Missed>> readAfter;
    private final Consumer<StreamMessage> deliver;
    private final Consumer<String> reset;
    private final long unexplainedWaitNanos;
    private final long failingReadsWaitNanos;
    /** The offsets handed on last, oldest overwritten first: slot {@code n % REMEMBERED} holds the n-th. */
    private final long[] handedOn = new long[REMEMBERED];
    /** How many messages were handed on in all. */
    private long handedOnTotal;
    /**
     * Below (and at) this offset a message is old news: handed on before what is remembered, or from before the start.
     */
    private long floor = -1;
    private long lastOffset = -1;
    /** The newest offset ever handed on: above it, nothing can be a copy. */
    private long highestHandedOn = -1;
    /**
     * A history change was told the connections after the last message handed on: they take the next one whatever
     * its offset.
     */
    private boolean historyResetSinceHandOn;
    private List<ChannelMessage> waiting;
    private boolean reading;
    /** A catch-up was asked for while a read was in flight: that read may predate the gap, so read once more. */
    private boolean readAgain;
    /**
     * A catch-up was asked for before the follower had a start (the channel was subscribed again while the first
     * registration of the stream's user was still out): a message published meanwhile may be after that start and
     * was never received, so the stream is read once the start is known.
     */
    private boolean catchUpOnStart;
    /** A read is due after a pause (a predecessor not found yet): messages that come meanwhile wait for it. */
    private boolean pausing;
    /** When a read first did not find a held message's predecessor; 0 while every read did. */
    private long unexplainedSinceNanos;
    /** How many times the pause before the next such read has doubled. */
    private int unexplainedPauses;
    /** When the first of the reads that failed in a row was sent; 0 while the last one answered. */
    private long failingSinceNanos;
    /** When the read in flight was sent. */
    private long readSentNanos;
    private boolean closed;

    /**
     * @param readAfter reads the stream's entries after an offset
     * @param deliver   hands a message on (must not block)
     * @param reset     told why the stream's connections must be reset: {@link Replay#EXPIRED} when entries this
     *                  node never delivered were trimmed before it could read them, {@link Replay#HISTORY_LOST}
     *                  when the history changed under it
     */
    StreamFollower(LongFunction<CompletableFuture<Missed>> readAfter, Consumer<StreamMessage> deliver,
                   Consumer<String> reset) {
        this(readAfter, deliver, reset, UNEXPLAINED_WAIT_NANOS, FAILING_READS_WAIT_NANOS);
    }

    /**
     * As above, with how long a message whose predecessor reads do not find waits for them, and how long held messages
     * wait while reads fail (for tests).
     */
    StreamFollower(LongFunction<CompletableFuture<Missed>> readAfter, Consumer<StreamMessage> deliver,
                   Consumer<String> reset, long unexplainedWaitNanos, long failingReadsWaitNanos) {
        this.readAfter = readAfter;
        this.deliver = deliver;
        this.reset = reset;
        this.unexplainedWaitNanos = unexplainedWaitNanos;
        this.failingReadsWaitNanos = failingReadsWaitNanos;
    }

    /**
     * What a read after an offset found: the last trimmed offset of the stream, the offset of its newest entry (-1
     * when it has none) and the entries after the offset that are still there.
     */
    record Missed(long cut, long last, List<StreamMessage> messages) {
    }

    synchronized void startAt(long offset) {
        if (lastOffset < 0) {
            lastOffset = offset;
            floor = offset;
            if (catchUpOnStart) {
                catchUpOnStart = false;
                catchUpNow();
            }
        } else if (floor < 0) {
            // Messages came by the channel before the start and were handed on: the start is still where a rewind
            // goes back to (read after -1, the largest id, would find nothing).
            floor = offset;
        }
    }

    /** The offset of the last message handed on; -1 before the follower has a start. */
    synchronized long handedOn() {
        return lastOffset;
    }

    /**
     * Whether the last message handed on is the one at {@code offset}, with nothing held back or being read. Asked
     * under the lock that messages are handed on under: when it answers true, every later message is handed on
     * after the caller's earlier steps, so a connection that was made findable before asking receives it.
     */
    synchronized boolean isAt(long offset) {
        return !closed && waiting == null && !reading && lastOffset >= 0 && lastOffset == offset;
    }

    /** Whether nothing is held back or being read: the follower hands each message on as it comes. */
    synchronized boolean settled() {
        return !closed && waiting == null && !reading;
    }

    synchronized void received(ChannelMessage message) {
        if (closed) {
            return;
        }
        if (waiting != null) {
            waiting.add(message);
            if (!reading && !pausing) {
                catchUp(); // the last read failed: try again now that the connection carries messages
            }
            return;
        }
        long offset = message.message().offset();
        if (lastOffset >= 0 && !fresh(offset)) {
            return; // a copy: handed on from a read or from the channel already, or from before the start
        }
        long previous = StreamIds.toOffset(message.previousId());
        if (lastOffset >= 0 && (offset <= lastOffset || previous > 0 && previous < lastOffset)) {
            // never handed on yet older than the last one handed on, or after an entry older than it: that one is
            // not in the stream this message follows
            historyChanged(message);
            return;
        }
        if (lastOffset >= 0 && previous > lastOffset) {
            waiting = new ArrayList<>(List.of(message));
            catchUp();
            return;
        }
        handOn(message.message());
    }

    /** Whether the message at this offset was never handed on (as far as the follower remembers). */
    private boolean fresh(long offset) {
        if (offset <= floor) {
            return false;
        }
        if (offset > highestHandedOn) {
            return true; // as every message is while the history holds: no need to look
        }
        for (int i = 0, remembered = (int) Math.min(handedOnTotal, REMEMBERED); i < remembered; i++) {
            if (handedOn[i] == offset) {
                return false;
            }
        }
        return true;
    }

    private void handOn(StreamMessage message) {
        long offset = message.offset();
        historyResetSinceHandOn = false;
        lastOffset = Math.max(lastOffset, offset);
        highestHandedOn = Math.max(highestHandedOn, offset);
        int slot = (int) (handedOnTotal % REMEMBERED);
        if (handedOnTotal >= REMEMBERED && handedOn[slot] < offset) {
            // The oldest remembered is forgotten: at or below it is old news. Not when it is newer than the message
            // handed on now (the history changed, and older entries are being handed on): the floor would pass
            // entries of the new history not handed on yet.
            floor = Math.max(floor, handedOn[slot]);
        }
        handedOn[slot] = offset;
        handedOnTotal++;
        deliver.accept(message);
    }

    /**
     * Hands on a held message never handed on, out of the order of the stream as read. When the connections have a
     * newer message of the stream (a read came from a server whose history is not the channel's), they are told first
     * that the history changed: else they would take it for a copy.
     */
    private void handOnHeld(StreamMessage message) {
        if (message.offset() < lastHandedOn() && !historyResetSinceHandOn) {
            historyReset();
        }
        handOn(message);
    }

    /** The offset of the message handed on last, -1 before the first: the connections' position in the stream. */
    private long lastHandedOn() {
        return handedOnTotal == 0 ? -1 : handedOn[(int) ((handedOnTotal - 1) % REMEMBERED)];
    }

    /** Tells the connections that the stream's history changed: they take its next message whatever its offset. */
    private void historyReset() {
        historyResetSinceHandOn = true;
        reset.accept(Replay.HISTORY_LOST);
    }

    /**
     * The history changed under this follower: its connections are reset, and it goes back to the oldest offset it
     * remembers to read the stream again from there (what it handed on is known by its offset, and not handed on
     * twice). The message that showed it waits for the read.
     */
    private void historyChanged(ChannelMessage message) {
        rewind();
        waiting = new ArrayList<>(List.of(message));
        catchUp();
    }

    private void rewind() {
        historyReset();
        // Without a start yet (only messages from the channel so far), from the stream's beginning: each connection
        // drops what its cursor is past.
        lastOffset = Math.max(floor, 0);
    }

    /**
     * Reads and delivers whatever the stream holds after the last message delivered (after a reconnect); before the
     * follower has a start, once it has one.
     */
    synchronized void catchUpNow() {
        if (closed) {
            return;
        }
        if (reading) {
            readAgain = true;
            return;
        }
        if (lastOffset >= 0) {
            if (waiting == null) {
                waiting = new ArrayList<>();
            }
            catchUp();
        } else {
            catchUpOnStart = true;
        }
    }

    private void catchUp() {
        catchUpFrom(lastOffset);
    }

    private void catchUpFrom(long offset) {
        reading = true;
        readAgain = false;
        readSentNanos = System.nanoTime();
        readAfter.apply(offset).whenComplete((missed, error) -> finishCatchUp(missed));
    }

    /** The oldest held message never handed on; {@code Long.MAX_VALUE} when none. */
    private long oldestFreshHeld() {
        long oldest = Long.MAX_VALUE;
        for (int i = 0; waiting != null && i < waiting.size(); i++) {
            long offset = waiting.get(i).message().offset();
            if (offset < oldest && fresh(offset)) {
                oldest = offset;
            }
        }
        return oldest;
    }

    private synchronized void retry() {
        pausing = false;
        if (!closed && waiting != null && !reading) {
            catchUp();
        }
    }

    private synchronized void finishCatchUp(Missed missed) {
        reading = false;
        if (closed) {
            return;
        }
        if (missed == null) {
            // Redis unreachable: keep holding and try again shortly (a message or a reconnect may come first)
            long now = System.nanoTime();
            if (failingSinceNanos == 0) {
                failingSinceNanos = readSentNanos; // a read that hung until its timeout counts from when it was sent
            }
            if (!waiting.isEmpty() && (now - failingSinceNanos >= failingReadsWaitNanos || waiting.size() >= MAX_HELD)) {
                handOnOverTheGap();
                return;
            }
            CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(this::retry);
            return;
        }
        failingSinceNanos = 0;
        if (missed.last() >= 0 && missed.last() < lastOffset) {
            // The stream ends before the last entry handed on: that one is gone, and what replaced it may be older.
            if (lastOffset > floor) {
                unexplainedSinceNanos = 0;
                rewind();
                catchUp();
                return;
            }
            // Read from the floor already: the stream holds nothing newer than its newest entry to go by.
            lastOffset = missed.last();
            floor = Math.min(floor, lastOffset);
        }
        long before = lastOffset;
        if (missed.cut() > lastOffset && fresh(missed.cut())) {
            // Trimmed before it was read, never handed on. After a rewind the read goes back before entries handed
            // on already, which the stream may have trimmed since: their loss is no one's.
            reset.accept(Replay.EXPIRED);
        }
        long oldestHeld = oldestFreshHeld();
        for (StreamMessage message : missed.messages()) {
            if (fresh(message.offset())) {
                handOn(message);
            } else if (message.offset() < oldestHeld) {
                // Handed on before (a rewind reads again what it did): the follower stands past it all the same. Not
                // past a held message older than it: the read came from a server that still has what the channel's
                // history replaced (the command connection not yet on the new master).
                lastOffset = Math.max(lastOffset, message.offset());
            }
        }
        List<ChannelMessage> held = waiting;
        waiting = null;
        for (int i = 0; i < held.size(); i++) {
            ChannelMessage message = held.get(i);
            if (!fresh(message.message().offset())) {
                continue;
            }
            if (message.message().offset() <= lastOffset) {
                handOnHeld(message.message()); // never handed on, and not in the stream as read: hand it on now
                continue;
            }
            // Another message lost after the read was made (a reconnect meanwhile): read again before going on,
            // unless this read found nothing new (its predecessor is not in the stream to be read) and no catch-up
            // was asked for while it ran (then the read may predate the predecessor).
            long predecessor = StreamIds.toOffset(message.previousId());
            if (predecessor > lastOffset && (lastOffset > before || readAgain)) {
                unexplainedSinceNanos = 0;
                waiting = new ArrayList<>(held.subList(i, held.size()));
                catchUp();
                return;
            }
            if (predecessor > lastOffset && predecessor > missed.cut()) {
                // Not in the stream as read, and not trimmed: the read came from a server behind the publisher.
                if (pauseForPredecessor()) {
                    waiting = new ArrayList<>(held.subList(i, held.size()));
                    return;
                }
                historyReset();
            }
            handOn(message.message());
        }
        unexplainedSinceNanos = 0;
        readAgainIfAsked();
    }

    /** A catch-up asked for while a read was in flight (a reconnect): the stream is read once more from here. */
    private void readAgainIfAsked() {
        if (readAgain) {
            waiting = new ArrayList<>();
            catchUp();
        }
    }

    /**
     * Reads failed for too long while messages kept coming: what they were to find is given up (the stream's
     * connections are told that messages they never received are lost) and the held messages are handed on.
     */
    private void handOnOverTheGap() {
        failingSinceNanos = 0;
        List<ChannelMessage> held = waiting;
        waiting = null;
        reset.accept(Replay.EXPIRED);
        for (ChannelMessage message : held) {
            if (fresh(message.message().offset())) {
                handOnHeld(message.message());
            }
        }
        readAgainIfAsked();
    }

    /**
     * Schedules the next read for a predecessor that reads did not find, the pauses doubling from 100 ms (every stream
     * published to during a Sentinel switch is read again, and not all at once); false once the wait is over.
     */
    private boolean pauseForPredecessor() {
        long now = System.nanoTime();
        if (unexplainedSinceNanos == 0) {
            unexplainedSinceNanos = now;
            unexplainedPauses = 0;
        }
        if (now - unexplainedSinceNanos >= unexplainedWaitNanos) {
            return false;
        }
        long pause = UNEXPLAINED_PAUSE_MILLIS << unexplainedPauses;
        unexplainedPauses = Math.min(unexplainedPauses + 1, MAX_PAUSE_DOUBLINGS);
        pausing = true;
        CompletableFuture.delayedExecutor(pause / 2 + ThreadLocalRandom.current().nextLong(pause / 2 + 1),
                TimeUnit.MILLISECONDS).execute(this::retry);
        return true;
    }

    /** The channel is no longer followed: nothing more is delivered, even from a read in flight. */
    synchronized void close() {
        closed = true;
        waiting = null;
    }
}
