package io.ssebroker.broker;

import io.netty.buffer.ByteBuf;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.ssebroker.engine.StreamMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections served by one event loop. Only that loop touches the list, so a broadcast costs one hand-over per
 * loop and no locks; the same loop sends the heartbeats of its idle connections.
 *
 * <p>Broadcasts are written in passes over the connections. A pass writes every broadcast that waited for it to one
 * connection after another and flushes each connection once it has them all: broadcasts that arrive together (a
 * burst, or those queued while the loop was busy) leave in one write per connection instead of one per message, the
 * first clients have them while the loop writes to the rest, and each connection's buffers are touched once. A pass
 * runs in slices of about {@link #SLICE_NANOS}: between slices, the loop reads its sockets and runs the tasks queued
 * meanwhile, such as the answer to the request that published the broadcast, a message to one user or a connection's
 * registration. One fan-out to thousands of connections would otherwise hold all of them for its whole length (tens
 * of milliseconds). Broadcasts that arrive during a pass wait for the next one.
 *
 * <p>Messages to a user are written without flushing; one flush pass at the end of the loop's iteration flushes every
 * connection written to, unless the message goes out at once (see {@link #deliverNow}). Either way, a connection
 * that a running pass has not reached yet first gets the broadcasts handed to this loop before the message, as it
 * would if the pass had written them all at once.
 *
 * <p>A reset of the broadcast stream (a failover lost broadcasts: {@code sys_reset history_lost}) travels the same
 * way, as an entry of the passes among the broadcasts: each connection has it after the broadcasts handed to the loop
 * before it and before those after it, as the engine handed them on. Each entry, broadcast or reset, is numbered,
 * and written to a connection once, whether by the pass or ahead of a message.
 */
final class LoopConnections {
    private static final Logger log = LoggerFactory.getLogger(LoopConnections.class);
    /** How long a pass writes before letting the loop's other tasks run. */
    static final long SLICE_NANOS = TimeUnit.MICROSECONDS.toNanos(250);
    /** Connections written between two looks at the clock. */
    static final int CLOCK_STRIDE = 16;

    private final EventExecutor loop;
    private final List<LocalConnection> connections = new ArrayList<>();
    /** Connections written to since the last flush pass. */
    private final List<LocalConnection> written = new ArrayList<>();
    private final Runnable flushPass = this::flushWritten;
    private boolean flushPassQueued;
    /** Broadcasts handed to this loop and not yet written to all its connections; counted from any thread. */
    private final AtomicInteger broadcastsQueued = new AtomicInteger();
    private final long sliceNanos;
    private final IntConsumer delivered;
    private final Runnable broadcastWritten;
    private final Runnable nextSlice = this::writeSlice;
    /** The entries the running pass writes, in order; empty when no pass runs. */
    private List<Broadcast> passing = new ArrayList<>();
    /** Entries handed over during the running pass, for the next one. */
    private List<Broadcast> waiting = new ArrayList<>();
    /** The number of the last entry handed to this loop. */
    private long entries;
    /** The running pass has written to the connections before this index, and to no other. */
    private int passedUpTo;

    /**
     * An entry of the broadcast stream handed to this loop: a broadcast, with its frame body, which this loop holds a
     * reference of until written; or a reset of the stream ({@code message} and {@code body} null).
     */
    private record Broadcast(long number, StreamMessage message, ByteBuf body, String resetReason) {
        boolean isReset() {
            return message == null;
        }
    }

    /**
     * @param sliceNanos       how long a pass writes before it yields ({@link #SLICE_NANOS}); at least
     *                         {@link #CLOCK_STRIDE} connections are written per slice
     * @param delivered        told how many deliveries a slice of a pass made
     * @param broadcastWritten told once per broadcast, when it is written to every connection of this loop (or
     *                         could not be: the loop stopped)
     */
    LoopConnections(EventExecutor loop, long heartbeatMillis, long sliceNanos, IntConsumer delivered,
                    Runnable broadcastWritten) {
        this.loop = loop;
        this.sliceNanos = sliceNanos;
        this.delivered = delivered;
        this.broadcastWritten = broadcastWritten;
        long tick = Math.max(100, heartbeatMillis / 4);
        loop.scheduleAtFixedRate(() -> heartbeat(heartbeatMillis), tick, tick, TimeUnit.MILLISECONDS);
    }

    EventExecutor loop() {
        return loop;
    }

    /**
     * A connection that joins the loop during a pass is written the entries still to be written (held back while its
     * replay is written, copies dropped by their offsets): its replay may have been read from a server that does not
     * have them yet (a failover under way).
     */
    void add(LocalConnection connection) {
        connection.loopIndex = connections.size();
        connections.add(connection);
    }

    /**
     * The last connection takes the place of the removed one: constant time in a storm of disconnects. While a pass
     * runs, the connections it has written stay before those it has not: a connection it has not reached never moves
     * into the part it has passed.
     */
    void remove(LocalConnection connection) {
        int index = connection.loopIndex;
        if (index < 0 || index >= connections.size() || connections.get(index) != connection) {
            return;
        }
        connection.loopIndex = -1;
        if (index < passedUpTo) {
            // the last connection the pass wrote fills the hole; the connection at the end fills its place
            passedUpTo--;
            place(connections.get(passedUpTo), index);
            index = passedUpTo;
        }
        LocalConnection last = connections.remove(connections.size() - 1);
        if (index < connections.size()) {
            place(last, index);
        }
    }

    private void place(LocalConnection connection, int index) {
        connections.set(index, connection);
        connection.loopIndex = index;
    }

    List<LocalConnection> connections() {
        return connections;
    }

    /**
     * A broadcast or a reset is about to be handed to this loop (before the task that calls {@link #broadcast} or
     * {@link #broadcastReset} is queued).
     */
    void broadcastQueued() {
        broadcastsQueued.incrementAndGet();
    }

    /** A broadcast or a reset counted by {@link #broadcastQueued} could not be handed over: the loop has stopped. */
    void broadcastNotHandedOver() {
        broadcastsQueued.decrementAndGet();
    }

    /** True while a broadcast handed to this loop waits to be written to some of its connections. */
    boolean hasBroadcastQueued() {
        return broadcastsQueued.get() > 0;
    }

    /**
     * Takes a broadcast handed to this loop, with a reference of its frame body that this loop releases once the
     * broadcast is written: it starts a pass, or waits for the next one if a pass runs.
     */
    void broadcast(StreamMessage message, ByteBuf body) {
        pass(new Broadcast(++entries, message, body, null));
    }

    /**
     * Takes a reset of the broadcast stream handed to this loop ({@link LocalConnection#announceBroadcastReset}): its
     * connections have it in order with the broadcasts, like one of them.
     */
    void broadcastReset(String reason) {
        pass(new Broadcast(++entries, null, null, reason));
    }

    private void pass(Broadcast entry) {
        if (!passing.isEmpty()) {
            waiting.add(entry);
            return;
        }
        passing.add(entry);
        writeSlice();
    }

    /** Writes the running pass to the next connections, for about one slice; then yields to the loop's other work. */
    private void writeSlice() {
        long deadline = System.nanoTime() + sliceNanos;
        int deliveries = 0;
        try {
            while (passedUpTo < connections.size()) {
                LocalConnection connection = connections.get(passedUpTo++);
                int written = writeAll(connection, passing);
                if (written > 0) {
                    deliveries += written;
                    connection.stream.flush();
                }
                if (passedUpTo % CLOCK_STRIDE == 0 && System.nanoTime() - deadline > 0
                        && passedUpTo < connections.size() && yielded()) {
                    return;
                }
            }
        } finally {
            delivered.accept(deliveries);
        }
        endPass();
    }

    /**
     * Queues the pass's next slice behind the loop's next look at its sockets (a scheduled task waits for it, where a
     * task queued now would run before it) and the tasks queued so far. False when the loop has stopped: the pass
     * then goes on at once, to the connections that are closing with it.
     */
    private boolean yielded() {
        try {
            loop.schedule(nextSlice, 0, TimeUnit.NANOSECONDS);
            return true;
        } catch (RejectedExecutionException stopped) {
            return false;
        }
    }

    private void endPass() {
        passedUpTo = 0;
        for (Broadcast broadcast : passing) {
            broadcastsQueued.decrementAndGet();
            if (!broadcast.isReset()) {
                broadcast.body().release();
                broadcastWritten.run();
            }
        }
        passing.clear();
        if (!waiting.isEmpty()) {
            List<Broadcast> next = waiting;
            waiting = passing;
            passing = next;
            if (!yielded()) {
                writeSlice();
            }
        }
    }

    /**
     * Writes entries to a connection in order, those it was not written yet, broadcasts without flushing (a reset
     * flushes what came before it); returns how many broadcasts it was written. A failure to write is this
     * connection's: the pass goes on to the others.
     */
    private static int writeAll(LocalConnection connection, List<Broadcast> broadcasts) {
        int written = 0;
        try {
            for (int i = 0; i < broadcasts.size(); i++) {
                Broadcast broadcast = broadcasts.get(i);
                if (broadcast.number() <= connection.broadcastEntryWritten) {
                    continue;
                }
                connection.broadcastEntryWritten = broadcast.number();
                if (broadcast.isReset()) {
                    connection.announceBroadcastReset(broadcast.resetReason());
                } else if (connection.deliver(broadcast.message(), broadcast.body())) {
                    written++;
                }
            }
        } catch (RuntimeException e) {
            log.warn("could not write a broadcast to device {}", connection.device(), e);
        }
        return written;
    }

    /**
     * Before a message to a user is written to this connection: the entries handed to this loop before it, that the
     * running pass has not written to this connection yet, go first (flushed with the message, or by the flush pass
     * if the message is not for this device). The pass skips them when it comes to this connection: each entry is
     * written to a connection once.
     */
    private void broadcastsFirst(LocalConnection connection) {
        if (passing.isEmpty()) {
            return;
        }
        int caughtUp = writeAll(connection, passing);
        caughtUp += writeAll(connection, waiting);
        if (caughtUp > 0) {
            delivered.accept(caughtUp);
            written.add(connection);
            queueFlushPass();
        }
    }

    /** Writes a message to one connection of this loop, to be flushed at the end of this iteration; false if not written. */
    boolean deliver(LocalConnection connection, StreamMessage message, ByteBuf body) {
        broadcastsFirst(connection);
        if (!connection.deliver(message, body)) {
            return false;
        }
        written.add(connection);
        queueFlushPass();
        return true;
    }

    /**
     * Writes a message to one connection of this loop and flushes it at once (with anything written to it before);
     * false if not written. A message to one user usually has no other to share its flush with: waiting for the
     * pass at the end of the iteration would only hold it behind the loop's other work.
     */
    boolean deliverNow(LocalConnection connection, StreamMessage message, ByteBuf body) {
        broadcastsFirst(connection);
        if (!connection.deliver(message, body)) {
            return false;
        }
        connection.stream.flush();
        return true;
    }

    private void queueFlushPass() {
        if (flushPassQueued) {
            return;
        }
        flushPassQueued = true;
        if (loop instanceof SingleThreadEventLoop eventLoop) {
            eventLoop.executeAfterEventLoopIteration(flushPass);
        } else {
            loop.execute(flushPass);
        }
    }

    private void flushWritten() {
        flushPassQueued = false;
        for (int i = 0; i < written.size(); i++) {
            written.get(i).stream.flush();
        }
        written.clear();
    }

    private void heartbeat(long heartbeatMillis) {
        long silentSince = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(heartbeatMillis);
        for (int i = 0; i < connections.size(); i++) {
            LocalConnection connection = connections.get(i);
            if (connection.isLive() && connection.stream.silentSince(silentSince)) {
                connection.stream.writeHeartbeat();
            }
        }
    }
}
