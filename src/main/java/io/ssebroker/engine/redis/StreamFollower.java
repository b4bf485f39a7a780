package io.ssebroker.engine.redis;

import io.ssebroker.engine.StreamMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * Follows one stream's channel on this node and hands its messages on in order, once each. When a message says
 * its predecessor is one this node never saw (a publish lost between Redis and the node, or sent while the
 * connection was down), the missing entries are read from the stream first; messages arriving meanwhile wait.
 */
final class StreamFollower {
    private final LongFunction<CompletableFuture<List<StreamMessage>>> readAfter;
    private final Consumer<StreamMessage> deliver;
    private long lastOffset = -1;
    private List<ChannelMessage> waiting;
    private boolean reading;

    /**
     * @param readAfter reads the stream's entries after an offset
     * @param deliver   hands a message on (must not block)
     */
    StreamFollower(LongFunction<CompletableFuture<List<StreamMessage>>> readAfter, Consumer<StreamMessage> deliver) {
        this.readAfter = readAfter;
        this.deliver = deliver;
    }

    synchronized void startAt(long offset) {
        if (lastOffset < 0) {
            lastOffset = offset;
        }
    }

    synchronized void received(ChannelMessage message) {
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
        if (!reading && lastOffset >= 0) {
            if (waiting == null) {
                waiting = new ArrayList<>();
            }
            catchUp();
        }
    }

    private void catchUp() {
        reading = true;
        readAfter.apply(lastOffset).whenComplete((missed, error) -> finishCatchUp(missed));
    }

    private synchronized void finishCatchUp(List<StreamMessage> missed) {
        reading = false;
        if (missed == null) {
            return; // Redis unreachable: keep holding; the next message or reconnect tries again
        }
        for (StreamMessage message : missed) {
            if (message.offset() > lastOffset) {
                lastOffset = message.offset();
                deliver.accept(message);
            }
        }
        List<ChannelMessage> held = waiting;
        waiting = null;
        for (ChannelMessage message : held) {
            if (message.message().offset() > lastOffset) {
                lastOffset = message.message().offset();
                deliver.accept(message.message());
            }
        }
    }
}
