package io.ssebroker.broker;

import io.netty.buffer.ByteBuf;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.ssebroker.engine.StreamMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The connections served by one event loop. Only that loop touches the list, so a broadcast costs one task per
 * loop and no locks; the same loop sends the heartbeats of its idle connections.
 *
 * <p>Live messages are written without flushing; one flush pass at the end of the loop's iteration flushes every
 * connection written to. Messages that arrive together (a burst, or broadcasts queued while the loop was busy)
 * then leave in one write per connection instead of one per message, which is most of a delivery's cost. A
 * broadcast that comes alone (after a quiet spell, none queued behind it) has nothing to share its writes with:
 * each of its connections is flushed as soon as it is written, so the first clients have it while the loop writes
 * to the rest, and each connection's buffers are touched once instead of in two passes over all of them. A message
 * to a user likewise goes out at once when no other message of that user is queued for the connection behind it
 * (see {@link #deliverNow}); those queued together leave with the last of them.
 */
final class LoopConnections {
    private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private final EventExecutor loop;
    private final List<LocalConnection> connections = new ArrayList<>();
    /** Connections written to since the last flush pass, unless all of them were. */
    private final List<LocalConnection> written = new ArrayList<>();
    private final Runnable flushPass = this::flushWritten;
    private boolean allWritten;
    private boolean flushPassQueued;
    /** Broadcasts handed to this loop and not yet written; counted by whoever queues them, from any thread. */
    private final AtomicInteger broadcastsQueued = new AtomicInteger();
    /**
     * When this loop last finished writing a broadcast. Broadcasts that follow one another closer than
     * {@link #QUIET_NANOS} are a stream: their writes are flushed together, however they happen to be queued.
     */
    private long lastBroadcastEndNanos = System.nanoTime() - QUIET_NANOS;

    LoopConnections(EventExecutor loop, long heartbeatMillis) {
        this.loop = loop;
        long tick = Math.max(100, heartbeatMillis / 4);
        loop.scheduleAtFixedRate(() -> heartbeat(heartbeatMillis), tick, tick, TimeUnit.MILLISECONDS);
    }

    EventExecutor loop() {
        return loop;
    }

    void add(LocalConnection connection) {
        connection.loopIndex = connections.size();
        connections.add(connection);
    }

    /** The last connection takes the place of the removed one: constant time in a storm of disconnects. */
    void remove(LocalConnection connection) {
        int index = connection.loopIndex;
        if (index < 0 || index >= connections.size() || connections.get(index) != connection) {
            return;
        }
        LocalConnection last = connections.remove(connections.size() - 1);
        if (last != connection) {
            connections.set(index, last);
            last.loopIndex = index;
        }
        connection.loopIndex = -1;
    }

    List<LocalConnection> connections() {
        return connections;
    }

    /** A broadcast is about to be queued on this loop (before the task that calls {@link #broadcast} is). */
    void broadcastQueued() {
        broadcastsQueued.incrementAndGet();
    }

    /** True while a broadcast handed to this loop waits to be written. */
    boolean hasBroadcastQueued() {
        return broadcastsQueued.get() > 0;
    }

    /**
     * Writes a broadcast to every connection of this loop; returns how many it was written to. After a quiet spell,
     * each connection is flushed as soon as it is written while no other broadcast is queued behind this one; from
     * the moment one is, and for broadcasts in a stream, the connections are flushed together at the end of this
     * iteration, with what the next ones write.
     */
    int broadcast(StreamMessage message, ByteBuf body) {
        boolean alone = broadcastsQueued.updateAndGet(queued -> Math.max(0, queued - 1)) == 0
                && System.nanoTime() - lastBroadcastEndNanos >= QUIET_NANOS;
        int delivered = 0;
        for (int i = 0; i < connections.size(); i++) {
            LocalConnection connection = connections.get(i);
            if (connection.deliver(message, body)) {
                delivered++;
                if (alone) {
                    alone = broadcastsQueued.get() == 0;
                    connection.stream.flush();
                }
            }
        }
        if (!alone) {
            allWritten = true;
            queueFlushPass();
        }
        lastBroadcastEndNanos = System.nanoTime();
        return delivered;
    }

    /** Writes a message to one connection of this loop, to be flushed at the end of this iteration; false if not written. */
    boolean deliver(LocalConnection connection, StreamMessage message, ByteBuf body) {
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
        List<LocalConnection> toFlush = allWritten ? connections : written;
        for (int i = 0; i < toFlush.size(); i++) {
            toFlush.get(i).stream.flush();
        }
        allWritten = false;
        written.clear();
    }

    private void heartbeat(long heartbeatMillis) {
        long silentSince = System.currentTimeMillis() - heartbeatMillis;
        for (int i = 0; i < connections.size(); i++) {
            LocalConnection connection = connections.get(i);
            if (connection.isLive() && connection.stream.lastWriteMillis() <= silentSince) {
                connection.stream.writeHeartbeat();
            }
        }
    }
}
