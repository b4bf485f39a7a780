package io.ssebroker.sse;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The byte side of one open SSE response: writes frames to the channel, remembers when it last wrote (for
 * heartbeats) and disconnects a client whose unsent bytes pass the channel's high water mark. All methods
 * but {@link #executor()} must be called on that executor.
 */
public final class SseStream {
    /** Bodies up to this size are copied into each stream's frame rather than shared. */
    static final int COPIED_BODY_BYTES = 1024;
    /** How long a closing stream waits for its client to read the last bytes before it is cut off. */
    private static final long CLOSE_GRACE_SECONDS = 5;

    private final Channel channel;
    private final SseFraming framing;
    /**
     * When the stream last wrote, on the monotonic clock: a wall clock stepped back (NTP, a resumed VM) would hold
     * the heartbeats back for as long as the step, and proxies would cut quiet streams meanwhile.
     */
    private volatile long lastWriteNanos = System.nanoTime();
    private boolean dirty;
    private boolean tooSlow;
    /** {@link #close()} ended the body: nothing may follow its end (on HTTP/1.1, the last chunk). */
    private boolean closing;
    /** Run once when the channel can take more bytes again (a paced replay). */
    private Runnable onWritable;

    public SseStream(Channel channel, SseFraming framing) {
        this.channel = channel;
        this.framing = framing;
    }

    public EventExecutor executor() {
        return channel.eventLoop();
    }

    public boolean isOpen() {
        return channel.isActive() && !tooSlow && !closing;
    }

    /** False while the unsent bytes are over the cap's high water mark: the client has not read what it got. */
    public boolean isWritable() {
        return channel.isWritable();
    }

    /**
     * Runs the task (once) as soon as the channel is writable: on the loop's next turn when it is. Not at once: a
     * paced writer that calls this each time its flush drained the socket would recurse once per cap's worth of
     * bytes (a long replay to a client that keeps up overflowed the stack), and would hold the loop from its other
     * channels until it is done.
     */
    public void whenWritable(Runnable task) {
        if (channel.isWritable()) {
            try {
                channel.eventLoop().execute(task);
            } catch (RejectedExecutionException stopped) {
                // the loop is shutting down: its channels close, nothing more is written to them
            }
        } else {
            onWritable = task;
        }
    }

    /** Told by the pipeline that the channel's writability changed. */
    public void writabilityChanged() {
        Runnable task = onWritable;
        if (task != null && channel.isWritable()) {
            onWritable = null;
            task.run();
        }
    }

    /** Drops a client that cannot keep up (counted as a slow client); it replays from its cursor when it is back. */
    public void closeTooSlow() {
        tooSlow = true;
        channel.close();
    }

    /** True when the stream was closed because the client did not read fast enough. */
    public boolean closedForSlowness() {
        return tooSlow;
    }

    /**
     * True when the stream ended because its client stopped acknowledging what was sent to it (see
     * {@link HeartbeatTimeout}).
     */
    public boolean closedForHeartbeatTimeout() {
        return HeartbeatTimeout.timedOut(channel);
    }

    /** Wall-clock time of the last write, as of now; read by other threads for presence info. */
    public long lastWriteMillis() {
        return System.currentTimeMillis() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastWriteNanos);
    }

    /** Whether nothing was written since {@code sinceNanos} ({@link System#nanoTime}): a heartbeat is due. */
    public boolean silentSince(long sinceNanos) {
        return lastWriteNanos - sinceNanos <= 0;
    }

    /**
     * Runs the task on this stream's executor once the channel is closed, whoever closed it: as a task of its own,
     * never on the stack of the write or flush that closed the channel (a slow client, a reset connection), which
     * may run under an engine's locks. It also runs after the failed writes' promises, which Netty fails once it has
     * closed the channel: {@link HeartbeatTimeout} has marked the connection by then.
     */
    public void whenClosed(Runnable task) {
        channel.closeFuture().addListener(future -> {
            try {
                channel.eventLoop().execute(task);
            } catch (RejectedExecutionException stopped) {
                task.run(); // the loop is past running tasks: nothing else runs on it any more
            }
        });
    }

    /**
     * A whole frame encoded for this stream only (system events, replayed messages). Not checked against the
     * unsent-bytes cap: a replay is bounded by the history size and may fill the buffer before the client reads.
     */
    public void writeFrame(FrameId id, String event, String data) {
        writeFrame(-1, id, event, data);
    }

    /** A whole frame that also sets the client's reconnect delay (see {@link SseFrames#frame}). */
    public void writeFrame(int retryMillis, FrameId id, String event, String data) {
        write(framing.own(SseFrames.frame(channel.alloc(), retryMillis, id, event, data)));
    }

    /**
     * A message frame: this stream's id line, then the body shared by every stream. Small bodies are copied behind
     * the id line (one buffer to queue and write); large ones are queued as a retained duplicate, so their bytes
     * exist once for all streams. Not flushed: the caller flushes once it has written what it has.
     */
    public void writeShared(FrameId id, ByteBuf sharedBody) {
        if (!isOpen()) {
            return;
        }
        boolean behind = behind();
        if (sharedBody.readableBytes() <= COPIED_BODY_BYTES) {
            write(framing.own(SseFrames.withId(channel.alloc(), id, sharedBody)));
        } else {
            int bodyLength = sharedBody.readableBytes();
            channel.write(framing.ownHead(SseFrames.idLine(channel.alloc(), id), bodyLength), channel.voidPromise());
            Object end = framing.sharedEnd();
            if (end == null) {
                write(framing.shared(sharedBody.retainedDuplicate()));
            } else {
                channel.write(framing.shared(sharedBody.retainedDuplicate()), channel.voidPromise());
                write(end);
            }
        }
        closeIfBehind(behind);
    }

    public void writeHeartbeat() {
        boolean behind = isOpen() && behind();
        write(framing.heartbeat());
        closeIfBehind(behind);
        flush();
    }

    public void flush() {
        if (dirty) {
            dirty = false;
            channel.flush();
        }
    }

    /** Flushes what was written, then closes; a client that does not read it within a few seconds is cut off. */
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        dirty = false;
        channel.writeAndFlush(framing.end()).addListener(ChannelFutureListener.CLOSE);
        channel.eventLoop().schedule(() -> channel.close(), CLOSE_GRACE_SECONDS, TimeUnit.SECONDS);
    }

    /** Writes a framed message; released unwritten when the stream is closed. */
    private void write(Object framed) {
        if (!isOpen()) {
            ReferenceCountUtil.release(framed);
            return;
        }
        channel.write(framed, channel.voidPromise());
        dirty = true;
        lastWriteNanos = System.nanoTime();
    }

    /**
     * Whether the client has not read what it was sent: the unsent bytes are past the high water mark once what was
     * written and not flushed yet (a loop's turn writes all it has, then flushes once) has been offered to the socket.
     * Unflushed bytes count towards the mark, and a burst of messages in one turn would drop clients that read.
     */
    private boolean behind() {
        if (channel.isWritable()) {
            return false;
        }
        if (dirty) {
            flush();
        }
        return !channel.isWritable();
    }

    /**
     * The unsent bytes were past the high water mark (limits.max_unsent_bytes) before this frame came: the client
     * reads too slowly. Dropping it bounds memory (to the cap and one frame); it replays what it missed from history
     * when it reconnects. Judged before the frame, not after: one message larger than the cap would otherwise drop
     * every client it is sent to, fast or not.
     */
    private void closeIfBehind(boolean behind) {
        if (behind && isOpen()) {
            closeTooSlow();
        }
    }
}
