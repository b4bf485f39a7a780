package io.ssebroker.bench;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Publishes stamped messages at a fixed rate, or as fast as the window of outstanding deliveries and the publisher
 * connections allow. Broadcasts carry one sequence; a unicast carries the next sequence of the user it goes to, so
 * each subscriber sees its own rising sequence either way.
 *
 * <p>Each publisher connection publishes from its own event loop: the answer to one publication sends the next, a
 * due time is a task scheduled on that loop, and a window that is full leaves a task for the loop that returns the
 * credits. The load generator shares the machine with the server under test, so it adds no thread of its own that
 * would wake up and hand work over for every message: the server gets the cores that a client on another machine
 * would leave it.
 */
final class PublishLoop {
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /**
     * How long a run waits past its end for the answers to publications still in flight. A server that never answers
     * must not hold the bench: a publisher still waiting then ends when its answer comes, and its connection stays
     * out of the next run until then.
     */
    private static final long ANSWER_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Target target;
    private final HttpRequester publisher;
    private final Subscribers subscribers;
    private final Deliveries deliveries;
    private final int publishers;
    private final boolean broadcast;
    private final long intervalNanos;
    private final String padding;
    private final AtomicLongArray userSequences;
    private final AtomicLong broadcastSequence = new AtomicLong();
    /** The next due time at a fixed rate, shared by the connections: each publication takes one. */
    private final AtomicLong nextDueNanos = new AtomicLong();

    /**
     * @param publishers how many publisher connections publish at once (each takes one of {@code publisher}'s)
     * @param rate       messages per second; 0 for as fast as possible
     * @param window     messages outstanding at most (each counting its fanout in deliveries); 0 for no limit
     */
    PublishLoop(Target target, HttpRequester publisher, int publishers, Subscribers subscribers, Deliveries deliveries,
                boolean broadcast, int connections, double rate, int window, int paddingBytes) {
        this.target = target;
        this.publisher = publisher;
        this.publishers = publishers;
        this.subscribers = subscribers;
        this.deliveries = deliveries;
        this.broadcast = broadcast;
        this.intervalNanos = rate > 0 ? (long) (1e9 / rate) : 0;
        this.padding = "x".repeat(paddingBytes);
        this.userSequences = new AtomicLongArray(connections);
        if (window > 0) {
            deliveries.limitOutstanding(window * (broadcast ? connections : 1));
        }
    }

    /**
     * Publishes until {@code endNanos} (a publisher that finds no subscriber left stops early); returns once every
     * publisher connection has had the answer to its last publication (a second past the end at most).
     */
    void run(long endNanos) throws InterruptedException {
        nextDueNanos.set(System.nanoTime());
        Run run = new Run(endNanos);
        for (int i = 0; i < publishers; i++) {
            new Publisher(run).takeConnection();
        }
        run.ended.await(Math.max(0, endNanos - System.nanoTime()) + ANSWER_GRACE_NANOS, TimeUnit.NANOSECONDS);
    }

    /** One call of {@link #run}: its end, and whether a publisher found nobody left to publish to. */
    private final class Run {
        final long endNanos;
        final CountDownLatch ended = new CountDownLatch(publishers);
        volatile boolean nobodyLeft;

        Run(long endNanos) {
            this.endNanos = endNanos;
        }

        boolean isOver(long now) {
            return nobodyLeft || now >= endNanos;
        }
    }

    /**
     * One publisher connection's turn of publications, one at a time. Runs on the event loop of the connection it
     * holds; without one (its connection closed), on the loop of the last, until a replacement is idle.
     */
    private final class Publisher {
        private final Run run;
        private Channel channel;
        private EventLoop loop;
        /** The due time this publisher took for its next publication; 0 when it has none. */
        private long dueNanos;
        /** Ends this publisher at the end of the run while it waits for credits. */
        private ScheduledFuture<?> endOfWait;
        private boolean ended;

        Publisher(Run run) {
            this.run = run;
        }

        /** Takes an idle connection and starts on its loop, or tries again shortly. */
        void takeConnection() {
            channel = publisher.tryTake();
            if (channel != null) {
                loop = channel.eventLoop();
                loop.execute(this::next);
            } else if (run.isOver(System.nanoTime())) {
                end();
            } else {
                (loop != null ? loop : publisher.anyLoop()).schedule(this::takeConnection, RETRY_NANOS, TimeUnit.NANOSECONDS);
            }
        }

        /** Sends the next publication when it is due, credits allowing. */
        private void next() {
            long now = System.nanoTime();
            if (ended || run.isOver(now)) {
                end();
                return;
            }
            if (!channel.isActive()) { // closed while it waited: the requester connects a replacement
                channel = null;
                takeConnection();
                return;
            }
            if (intervalNanos > 0) {
                if (dueNanos == 0) {
                    dueNanos = nextDueNanos.getAndAdd(intervalNanos);
                    if (dueNanos >= run.endNanos) {
                        end();
                        return;
                    }
                }
                if (dueNanos > now) {
                    loop.schedule(this::next, dueNanos - now, TimeUnit.NANOSECONDS);
                    return;
                }
            }
            int subscriber = broadcast ? Target.EVERYONE : subscribers.randomOpen();
            int fanout = broadcast ? subscribers.openCount() : 1;
            if (fanout == 0 || (!broadcast && subscriber == Subscribers.NONE)) {
                run.nobodyLeft = true;
                end();
                return;
            }
            if (!deliveries.tryReserve(fanout)) {
                awaitCredits(fanout);
                return;
            }
            dueNanos = 0;
            deliveries.published(fanout);
            long sentNanos = System.nanoTime();
            publisher.exchange(channel, publication(subscriber, sentNanos)).whenComplete((response, error) -> {
                if (error == null) {
                    deliveries.answered(sentNanos, System.nanoTime());
                }
                if (error != null || !response.isSuccess()) {
                    deliveries.publishFailed(fanout);
                }
                if (error == null && response.reusable()) {
                    next(); // which takes a replacement if the connection closed since
                } else {
                    channel = null; // closed: the requester connects a replacement
                    takeConnection();
                }
            });
        }

        /** A full window: goes on when deliveries return the credits, or ends with the run. */
        private void awaitCredits(int fanout) {
            Deliveries.CreditWait wait = deliveries.whenCredits(fanout, () -> loop.execute(this::creditsBack));
            if (wait == null) {
                loop.execute(this::next);
                return;
            }
            // Still waiting at the end: nothing else wakes this publisher, which is still on this loop.
            endOfWait = loop.schedule(() -> {
                if (deliveries.stopWaiting(wait)) {
                    end();
                }
            }, Math.max(0, run.endNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        }

        /** Credits are back before the end: the timer of the wait goes (a window fills thousands of times a second). */
        private void creditsBack() {
            endOfWait.cancel(false);
            endOfWait = null;
            next();
        }

        private void end() {
            if (ended) {
                return;
            }
            ended = true;
            if (channel != null) {
                publisher.giveBack(channel);
                channel = null;
            }
            run.ended.countDown();
        }
    }

    /** The next message of the subscriber's stream, stamped with when it is sent (its answer is timed from there). */
    private FullHttpRequest publication(int subscriber, long sentNanos) {
        long sequence = broadcast ? broadcastSequence.incrementAndGet() : userSequences.incrementAndGet(subscriber);
        return target.publication(subscriber, new Stamp(sequence, sentNanos).payload(padding));
    }
}
