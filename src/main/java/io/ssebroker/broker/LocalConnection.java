package io.ssebroker.broker;

import io.netty.buffer.ByteBuf;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StreamMessage;
import io.ssebroker.sse.FrameId;
import io.ssebroker.sse.SseStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One device's stream on this node and where it stands in its two streams. Until its replay is written, live
 * messages are held back; afterwards anything at or below the offsets already written is dropped, so replay and
 * live never lose or repeat a message. Everything but the volatile reads runs on the stream's executor.
 *
 * <p>It is also the id of the frame being written: the cursor goes from the offsets straight into the frame's
 * buffer, with no String per frame.
 */
final class LocalConnection implements FrameId {
    private static final int FLUSH_EVERY = 64;
    /** A field updater rather than an AtomicBoolean: one int in the connection instead of an object per connection. */
    private static final AtomicIntegerFieldUpdater<LocalConnection> ENDING =
            AtomicIntegerFieldUpdater.newUpdater(LocalConnection.class, "ending");

    final DeviceSession session;
    final SseStream stream;
    /** When the token of this connection was issued: a kick after it ends the connection. */
    final long tokenIssuedAtMillis;
    private byte[] cursorPrefix;
    private volatile long userOffset;
    private volatile long broadcastOffset;
    private List<StreamMessage> heldBack = new ArrayList<>();
    /** Where this connection is in its loop's list; only that loop reads or writes it. */
    int loopIndex = -1;
    private String endReason;
    /** Set to 1 by whoever decides to end this connection (kick, extrusion), so that only one of them does. */
    private volatile int ending;

    LocalConnection(DeviceSession session, SseStream stream, long tokenIssuedAtMillis) {
        this.session = session;
        this.stream = stream;
        this.tokenIssuedAtMillis = tokenIssuedAtMillis;
    }

    String device() {
        return session.device();
    }

    String nonce() {
        return session.nonce();
    }

    boolean isLive() {
        return heldBack == null;
    }

    /** The cursor of the last frame written; null before the first. */
    String lastCursor() {
        byte[] prefix = cursorPrefix;
        return prefix == null ? null : Cursor.format(prefix, userOffset, broadcastOffset);
    }

    @Override
    public int idLength() {
        return Cursor.length(cursorPrefix, userOffset, broadcastOffset);
    }

    @Override
    public void writeTo(ByteBuf buf) {
        Cursor.write(buf, cursorPrefix, userOffset, broadcastOffset);
    }

    /** True for the first caller only: that one ends the connection. */
    boolean claimEnd() {
        return ENDING.compareAndSet(this, 0, 1);
    }

    String endReason() {
        return endReason;
    }

    /** Writes the opening of the stream and the replay, then goes live with what was held back meanwhile. */
    void start(int retryMillis, Replay replay, String resetReason) {
        cursorPrefix = Cursor.prefix(replay.start().epoch(), session.uid(), session.nonce());
        userOffset = replay.start().userOffset();
        broadcastOffset = replay.start().broadcastOffset();
        stream.writeRetry(retryMillis);
        stream.writeFrame(this, SystemEvents.CONNECTED, session.clientAddress());
        if (resetReason != null) {
            stream.writeFrame(null, SystemEvents.RESET, resetReason);
        }
        int written = 0;
        for (StreamMessage message : replay.messages()) {
            if (advance(message)) {
                stream.writeFrame(this, message.event(), message.data());
                if (++written % FLUSH_EVERY == 0) {
                    stream.flush();
                }
            }
        }
        List<StreamMessage> pending = heldBack;
        heldBack = null;
        for (StreamMessage message : pending) {
            if (advance(message)) {
                stream.writeFrame(this, message.event(), message.data());
            }
        }
        stream.flush();
    }

    /**
     * Writes a live message (without flushing) unless it is not for this device or was already written; holds it
     * back while the replay is pending. Returns whether something was written.
     */
    boolean deliver(StreamMessage message, ByteBuf body) {
        if (heldBack != null) {
            heldBack.add(message);
            return false;
        }
        if (!advance(message)) {
            return false;
        }
        stream.writeShared(this, body);
        return true;
    }

    /** Tells a live client that part of its stream is gone for good ({@code sys_reset}); it stays connected. */
    void announceReset(String reason) {
        if (isLive() && endReason == null) {
            stream.writeFrame(null, SystemEvents.RESET, reason);
            stream.flush();
        }
    }

    /** The engine's history started anew: later frames carry the new epoch, after a {@code history_lost} reset. */
    void restartHistory(String epoch) {
        if (cursorPrefix != null) {
            cursorPrefix = Cursor.prefix(epoch, session.uid(), session.nonce());
        }
        announceReset(Replay.HISTORY_LOST);
    }

    /** Sends a last system event and closes the stream; {@code reason} is the presence change it causes. */
    void end(String event, String data, String reason) {
        if (endReason != null) {
            return;
        }
        endReason = reason;
        stream.writeFrame(null, event, data);
        stream.close();
    }

    private boolean advance(StreamMessage message) {
        if (message.isBroadcast()) {
            if (message.offset() <= broadcastOffset) {
                return false;
            }
            broadcastOffset = message.offset();
            return true;
        }
        if (message.offset() <= userOffset) {
            return false;
        }
        userOffset = message.offset();
        return message.addressedTo(session.device());
    }
}
