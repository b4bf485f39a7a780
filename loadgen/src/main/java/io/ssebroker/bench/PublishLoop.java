package io.ssebroker.bench;

import io.netty.handler.codec.http.FullHttpRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes stamped messages from the calling thread: at a fixed rate, or as fast as the window of outstanding
 * deliveries and the publisher connections allow. Broadcasts carry one sequence; a unicast carries the next
 * sequence of the user it goes to, so each subscriber sees its own rising sequence either way.
 */
final class PublishLoop {
    private final Target target;
    private final HttpRequester publisher;
    private final Subscribers subscribers;
    private final Deliveries deliveries;
    private final boolean broadcast;
    private final double rate;
    private final String padding;
    private final long[] userSequences;
    private long broadcastSequence;

    /**
     * @param rate   messages per second; 0 for as fast as possible
     * @param window messages outstanding at most (each counting its fanout in deliveries); 0 for no limit
     */
    PublishLoop(Target target, HttpRequester publisher, Subscribers subscribers, Deliveries deliveries,
                boolean broadcast, int connections, double rate, int window, int paddingBytes) {
        this.target = target;
        this.publisher = publisher;
        this.subscribers = subscribers;
        this.deliveries = deliveries;
        this.broadcast = broadcast;
        this.rate = rate;
        this.padding = "x".repeat(paddingBytes);
        this.userSequences = new long[connections];
        if (window > 0) {
            deliveries.limitOutstanding(window * (broadcast ? connections : 1));
        }
    }

    /** Publishes until {@code endNanos}, or until no subscriber is left to publish to. */
    void run(long endNanos) throws InterruptedException {
        long interval = rate > 0 ? (long) (1e9 / rate) : 0;
        long next = System.nanoTime();
        while (System.nanoTime() < endNanos) {
            if (interval > 0) {
                long now = System.nanoTime();
                if (next > now) {
                    LockSupport.parkNanos(Math.min(next, endNanos) - now);
                    continue;
                }
                next += interval;
            }
            int subscriber = broadcast ? Target.EVERYONE : subscribers.randomOpen();
            int fanout = broadcast ? subscribers.openCount() : 1;
            if (fanout == 0 || (!broadcast && subscriber == Subscribers.NONE)) {
                return;
            }
            if (!deliveries.reserve(fanout, endNanos)) {
                return;
            }
            CompletableFuture<HttpRequester.Response> answer = publisher.send(() -> publication(subscriber), endNanos);
            if (answer == null) { // every publisher connection stayed busy until the end
                deliveries.unreserve(fanout);
                return;
            }
            deliveries.published(fanout);
            answer.whenComplete((response, error) -> {
                if (error != null || !response.isSuccess()) {
                    deliveries.publishFailed(fanout);
                }
            });
        }
    }

    /** The next message of the subscriber's stream, stamped now. */
    private FullHttpRequest publication(int subscriber) {
        long sequence = broadcast ? ++broadcastSequence : ++userSequences[subscriber];
        return target.publication(subscriber, new Stamp(sequence, System.nanoTime()).payload(padding));
    }
}
