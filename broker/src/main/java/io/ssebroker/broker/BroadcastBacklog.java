package io.ssebroker.broker;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;

/**
 * Broadcasts handed to this node's event loops and not yet written to their connections, counted per loop.
 * Publishers' answers wait while more than {@value #QUEUED_PER_LOOP} broadcasts per loop are queued: a publisher that
 * sends faster than the node can fan out is slowed to the node's pace, instead of piling messages up in the loops'
 * queues, where they would hold memory without bound and add their wait to the latency of every message behind them.
 * Up to that depth a queue costs little: the broadcasts queued on a loop leave together in its next pass, one write
 * per connection, so publishers are answered at once rather than after the fan-out of the broadcast before theirs.
 */
public final class BroadcastBacklog {
    private static final CompletableFuture<Void> ROOM = CompletableFuture.completedFuture(null);
    /** Broadcasts queued per event loop before publishers wait. */
    static final int QUEUED_PER_LOOP = 8;

    private final IntSupplier loops;
    private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
    private int queued;

    BroadcastBacklog(IntSupplier loops) {
        this.loops = loops;
    }

    /** Completes once at most {@value #QUEUED_PER_LOOP} broadcasts per loop are queued; at once when that is already so. */
    public CompletableFuture<Void> whenRoom() {
        synchronized (this) {
            if (queued <= QUEUED_PER_LOOP * loops.getAsInt()) {
                return ROOM;
            }
            CompletableFuture<Void> room = new CompletableFuture<>();
            waiting.add(room);
            return room;
        }
    }

    synchronized void queued() {
        queued++;
    }

    /** A loop wrote its share of a broadcast (or could not take it): publishers waiting for room go on. */
    void written() {
        List<CompletableFuture<Void>> released;
        synchronized (this) {
            queued--;
            if (waiting.isEmpty() || queued > QUEUED_PER_LOOP * loops.getAsInt()) {
                return;
            }
            released = List.copyOf(waiting);
            waiting.clear();
        }
        released.forEach(room -> room.complete(null));
    }
}
