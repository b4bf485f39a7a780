package io.ssebroker.broker;

import io.netty.buffer.ByteBuf;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.ssebroker.engine.StreamMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The connections served by one event loop. Only that loop touches the list, so a broadcast costs one task per
 * loop and no locks; the same loop sends the heartbeats of its idle connections.
 *
 * <p>Live messages are written without flushing; one flush pass at the end of the loop's iteration flushes every
 * connection written to. Messages that arrive together (a burst, or broadcasts queued while the loop was busy)
 * then leave in one write per connection instead of one per message, which is most of a delivery's cost.
 */
final class LoopConnections {
    private final EventExecutor loop;
    private final List<LocalConnection> connections = new ArrayList<>();
    /** Connections written to since the last flush pass, unless all of them were. */
    private final List<LocalConnection> written = new ArrayList<>();
    private final Runnable flushPass = this::flushWritten;
    private boolean allWritten;
    private boolean flushPassQueued;

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

    /**
     * Writes a broadcast to every connection of this loop, to be flushed at the end of this iteration; returns how
     * many it was written to.
     */
    int broadcast(StreamMessage message, ByteBuf body) {
        int delivered = 0;
        for (int i = 0; i < connections.size(); i++) {
            if (connections.get(i).deliver(message, body)) {
                delivered++;
            }
        }
        allWritten = true;
        queueFlushPass();
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
