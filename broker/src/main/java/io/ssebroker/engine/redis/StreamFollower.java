package io.ssebroker.engine.redis;

import io.ssebroker.engine.StreamMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * Follows one stream's channel on this node and hands its messages on in order, once each. When a message says
 * its predecessor is one this node never saw (a publish lost between Redis and the node, or sent while the
 * connection was down), the missing entries are read from the stream first; messages arriving meanwhile wait.
 */
final class StreamFollower {
    private final LongFunction<CompletableFuture<Missed>> readAfter;
    private final Consumer<StreamMessage> deliver;
    private final Runnable lost;
    private long lastOffset = -1;
    private List<ChannelMessage> waiting;
    private boolean reading;
    /** A catch-up was asked for while a read was in flight: that read may predate the gap, so read once more. */
    private boolean readAgain;
    private boolean closed;

    /**
     * @param readAfter reads the stream's entries after an offset
     * @param deliver   hands a message on (must not block)
     * @param lost      told when entries this node never delivered were trimmed before it could read them
     */
    StreamFollower(LongFunction<CompletableFuture<Missed>> readAfter, Consumer<StreamMessage> deliver, Runnable lost) {
        this.readAfter = readAfter;
        this.deliver = deliver;
        this.lost = lost;
    }

    /** What a read after an offset found: the last trimmed offset of the stream and the entries still there. */
    record Missed(long cut, List<StreamMessage> messages) {
    }

    synchronized void startAt(long offset) {
        if (lastOffset < 0) {
            lastOffset = offset;
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
            if (!reading) {
                catchUp(); // the last read failed: try again now that the connection carries messages
            }
            return;
        }
        long offset = message.message().offset();
        if (offset <= lastOffset) {
            return;
        }
        if (lastOffset >= 0 && StreamIds.toOffset(message.previousId()) > lastOffset) {
            waiting = new ArrayList<>(List.of(message));
            catchUp();
            return;
        }
        lastOffset = offset;
        deliver.accept(message.message());
    }

    /** Reads and delivers whatever the stream holds after the last message delivered (after a reconnect). */
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
        }
    }

    private void catchUp() {
        reading = true;
        readAgain = false;
        readAfter.apply(lastOffset).whenComplete((missed, error) -> finishCatchUp(missed));
    }

    private synchronized void retry() {
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
            CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(this::retry);
            return;
        }
        long before = lastOffset;
        if (missed.cut() > lastOffset) {
            lost.run();
        }
        for (StreamMessage message : missed.messages()) {
            if (message.offset() > lastOffset) {
                lastOffset = message.offset();
                deliver.accept(message);
            }
        }
        List<ChannelMessage> held = waiting;
        waiting = null;
        for (int i = 0; i < held.size(); i++) {
            ChannelMessage message = held.get(i);
            if (message.message().offset() <= lastOffset) {
                continue;
            }
            // Another message lost after the read was made (a reconnect meanwhile): read again before going on,
            // unless this read found nothing new (its predecessor is not in the stream to be read) and no catch-up
            // was asked for while it ran (then the read may predate the predecessor).
            if (StreamIds.toOffset(message.previousId()) > lastOffset && (lastOffset > before || readAgain)) {
                waiting = new ArrayList<>(held.subList(i, held.size()));
                catchUp();
                return;
            }
            lastOffset = message.message().offset();
            deliver.accept(message.message());
        }
        if (readAgain) {
            waiting = new ArrayList<>();
            catchUp();
        }
    }

    /** The channel is no longer followed: nothing more is delivered, even from a read in flight. */
    synchronized void close() {
        closed = true;
        waiting = null;
    }
}
