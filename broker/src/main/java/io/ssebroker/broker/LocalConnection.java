package io.ssebroker.broker;

import io.netty.buffer.ByteBuf;
import io.ssebroker.engine.DeviceSession;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StateChange;
import io.ssebroker.engine.StreamMessage;
import io.ssebroker.sse.FrameId;
import io.ssebroker.sse.SseStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * One device's stream on this node and where it stands in its two streams. Until its replay is written, live
 * messages are held back; afterwards anything at or below the offsets already written is dropped, so replay and
 * live never lose or repeat a message. Everything but the volatile reads runs on the stream's executor.
 *
 * <p>Its life, in {@link State}s: the broker makes it once the engine accepted its registration (registering comes
 * before), then it is {@code REPLAYING}, {@code LIVE}, {@code ENDING} once a kick, an extrusion or a shutdown claimed
 * it, and {@code ENDED} when its stream closed.
 *
 * <p>It is also the id of the frame being written: the cursor goes from the offsets straight into the frame's
 * buffer, with no String per frame.
 */
final class LocalConnection implements FrameId {
    private static final int FLUSH_EVERY = 64;
    /**
     * Most live messages held back while the replay is written; a client that reads its replay so slowly that more
     * arrive is dropped as too slow, and replays from its cursor when it comes back.
     */
    static final int MAX_HELD_BACK = 10_000;
    /** The reconnect delay sent with a kick or an extrusion: a day. */
    static final int STOPPED_RETRY_MILLIS = 86_400_000;
    /** A field updater rather than an AtomicReference: no extra object per connection. */
    private static final AtomicReferenceFieldUpdater<LocalConnection, State> STATE =
            AtomicReferenceFieldUpdater.newUpdater(LocalConnection.class, State.class, "state");
    private static final AtomicIntegerFieldUpdater<LocalConnection> QUEUED =
            AtomicIntegerFieldUpdater.newUpdater(LocalConnection.class, "queuedMessages");

    /** Where a connection is in its life on this node. */
    enum State {
        /** Its opening and replay are being written (paced by the client's reading); live messages wait. */
        REPLAYING,
        /** Live messages go straight out. */
        LIVE,
        /** Claimed by a kick, an extrusion or a shutdown: its last system event goes out, then it closes. */
        ENDING,
        /** Its stream closed; the broker removes its presence. */
        ENDED
    }

    final DeviceSession session;
    final SseStream stream;
    /** When the token of this connection was issued: a kick after it ends the connection. */
    final long tokenIssuedAtMillis;
    /** Where the engine decided this connection's registration among the node's others. */
    final long decisionOrder;
    /** The connection of the device this one's registration replaced, or null. */
    final String replacedNonce;
    /** Completes once the stream closed and the engine answered the removal of its presence (removed or not). */
    final CompletableFuture<Void> leftPresence = new CompletableFuture<>();
    private byte[] cursorPrefix;
    private volatile long userOffset;
    private volatile long broadcastOffset;
    /**
     * The history of the user's or the broadcast stream changed under the live connection (see
     * {@link #announceHistoryChanged}): the next message of that stream is written whatever its offset. Loop only.
     */
    private boolean userHistoryChanged;
    private boolean broadcastHistoryChanged;
    private volatile State state = State.REPLAYING;
    /** Whether it ever was {@code LIVE}: its client had its opening and its replay. */
    private volatile boolean wentLive;
    /** Messages of the user's stream handed to this connection's loop as tasks and not yet taken by it. */
    private volatile int queuedMessages;
    private List<StreamMessage> heldBack = new ArrayList<>();
    /** The held-back messages written so far, after the replay. */
    private int heldBackIndex;
    /** Held-back messages written and let go ({@link #forgetWrittenHeldBack}): where the list starts in all held. */
    private long heldBackLetGo;
    /** Resets announced while the replay was written, each before the held-back messages that came after it. */
    private List<HeldReset> heldResets;
    /** The replay still to write, from {@link #replayIndex}; null once written. */
    private List<StreamMessage> replaying;
    /** The whole replay, until the held-back messages are written too: what a history change checks them against. */
    private List<StreamMessage> replayed;
    /** The offsets of the replay's messages of the user's and of the broadcast stream, once a history change asks. */
    private Set<Long> replayedUserOffsets;
    private Set<Long> replayedBroadcastOffsets;
    private int replayIndex;
    /** Where this connection is in its loop's list; only that loop reads or writes it. */
    int loopIndex = -1;
    /**
     * The last of its loop's broadcast entries (broadcasts and resets of the broadcast stream, numbered by the loop)
     * written to this connection: a pass and a message that catches the connection up both write an entry, and each
     * entry is written once. Loop only.
     */
    long broadcastEntryWritten;
    private String endReason;

    /**
     * A reset that came while the replay was written, after {@code heldBefore} held-back messages; a history change
     * names its stream, whose next held-back message is written whatever its offset (as for a live connection).
     */
    private record HeldReset(long heldBefore, String reason, boolean userHistory, boolean broadcastHistory) {
    }

    LocalConnection(DeviceSession session, SseStream stream, long tokenIssuedAtMillis, long decisionOrder,
                    String replacedNonce) {
        this.session = session;
        this.stream = stream;
        this.tokenIssuedAtMillis = tokenIssuedAtMillis;
        this.decisionOrder = decisionOrder;
        this.replacedNonce = replacedNonce;
    }

    /**
     * Which of two connections of one device on this node is the device's: the one whose registration replaced the
     * other, else the one whose registration the engine decided later. The order of the answers can be another: the
     * engine may answer the registration it decided first later (its end of a connection it replaced takes a round
     * trip more, the steps after a Redis script wait on other servers, a thread is preempted between the decision
     * and the answer). The replacement is looked at first: a device taken from another user is decided by scripts
     * of two users, which may run on two servers, whose answers come in no order between them.
     */
    static LocalConnection devicesConnection(LocalConnection held, LocalConnection attaching) {
        if (held.nonce().equals(attaching.replacedNonce)) {
            return attaching;
        }
        if (attaching.nonce().equals(held.replacedNonce)) {
            return held;
        }
        return held.decisionOrder > attaching.decisionOrder ? held : attaching;
    }

    String device() {
        return session.device();
    }

    String nonce() {
        return session.nonce();
    }

    boolean wentLive() {
        return wentLive;
    }

    boolean isLive() {
        return state == State.LIVE;
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

    /**
     * A message of the user's stream, or a reset of it, is queued for this connection's loop (called by whoever
     * queues it).
     */
    void messageQueued() {
        QUEUED.incrementAndGet(this);
    }

    /** The loop took a queued message; true when no other is queued behind it. */
    boolean queuedMessageTaken() {
        return QUEUED.decrementAndGet(this) == 0;
    }

    /**
     * True when no message of the user's stream (nor reset) waits in the loop's queue: a later one may then be
     * written at once without overtaking (and so dropping) an earlier one.
     */
    boolean noMessageQueued() {
        return queuedMessages == 0;
    }

    /** Whether its end was claimed (ending or ended). */
    boolean endClaimed() {
        return isEnd(state);
    }

    /** True for the first caller only: that one ends the connection. */
    boolean claimEnd() {
        while (true) {
            State current = state;
            if (isEnd(current)) {
                return false;
            }
            if (STATE.compareAndSet(this, current, State.ENDING)) {
                return true;
            }
        }
    }

    private static boolean isEnd(State state) {
        return state == State.ENDING || state == State.ENDED;
    }

    /** The stream closed. */
    void ended() {
        state = State.ENDED;
    }

    /**
     * The presence change's reason for this connection's end: what ended it (a kick, an extrusion, a shutdown), else
     * how its stream closed (a client gone without a word, or any other close).
     */
    String presenceReason() {
        if (endReason != null) {
            return endReason;
        }
        return stream.closedForHeartbeatTimeout() ? StateChange.HEARTBEAT_FAIL : StateChange.DEVICE_DISCONNECT;
    }

    /**
     * Writes the opening of the stream, then the replay as fast as the client reads it (never more than the
     * stream's unsent-bytes cap ahead), then what was held back meanwhile at the same pace, then goes live.
     */
    void start(int retryMillis, Replay replay, String resetReason) {
        cursorPrefix = Cursor.prefix(replay.start().epoch(), session.uid(), session.nonce());
        userOffset = replay.start().userOffset();
        broadcastOffset = replay.start().broadcastOffset();
        stream.writeFrame(retryMillis, this, SystemEvents.CONNECTED, session.clientAddress());
        if (resetReason != null) {
            stream.writeFrame(null, SystemEvents.RESET, resetReason);
        }
        replaying = replay.messages();
        replayed = replaying;
        continueReplay();
    }

    private void continueReplay() {
        if (state != State.REPLAYING || !stream.isOpen()) {
            return;
        }
        int written = 0;
        while (replaying != null && replayIndex < replaying.size()) {
            if (!stream.isWritable()) {
                stream.flush();
                stream.whenWritable(this::continueReplay);
                return;
            }
            StreamMessage message = replaying.get(replayIndex++);
            if (advance(message)) {
                stream.writeFrame(this, message.event(), message.data());
                if (++written % FLUSH_EVERY == 0) {
                    stream.flush();
                }
            }
        }
        replaying = null;
        // What came while the replay was written, paced the same way: written at once, a long hold-back would put
        // the stream past its cap in one go, and its first live message would drop the client as too slow.
        while (true) {
            writeHeldResets();
            if (heldBackIndex == heldBack.size() && stream.isWritable()) {
                break;
            }
            // Also once everything is written: live, a stream still over its cap would drop the client at its first
            // message as too slow, though it reads.
            if (!stream.isWritable()) {
                forgetWrittenHeldBack();
                stream.flush();
                stream.whenWritable(this::continueReplay);
                return;
            }
            StreamMessage message = heldBack.get(heldBackIndex++);
            if (!writtenByTheReplayAfterAChange(message) && advance(message)) {
                stream.writeFrame(this, message.event(), message.data());
                if (++written % FLUSH_EVERY == 0) {
                    stream.flush();
                }
            }
        }
        heldBack = null;
        heldResets = null;
        replayed = null;
        replayedUserOffsets = null;
        replayedBroadcastOffsets = null;
        wentLive = STATE.compareAndSet(this, State.REPLAYING, State.LIVE);
        stream.flush();
    }

    /** Lets go of the held-back messages already written: a client that keeps up for long holds no more of them. */
    private void forgetWrittenHeldBack() {
        if (heldBackIndex > FLUSH_EVERY && heldBackIndex * 2 > heldBack.size()) {
            heldBack.subList(0, heldBackIndex).clear();
            heldBackLetGo += heldBackIndex;
            heldBackIndex = 0;
        }
    }

    /** The resets due before the next held-back message, in the order they came. */
    private void writeHeldResets() {
        long next = heldBackLetGo + heldBackIndex;
        while (heldResets != null && !heldResets.isEmpty() && heldResets.get(0).heldBefore() <= next) {
            HeldReset reset = heldResets.remove(0);
            stream.writeFrame(null, SystemEvents.RESET, reset.reason());
            userHistoryChanged |= reset.userHistory();
            broadcastHistoryChanged |= reset.broadcastHistory();
        }
    }

    /**
     * After a history change held back with the messages, the next message of that stream is written whatever its
     * offset; but one the replay wrote (it read the stream after the change) is a copy: skipped, and the stream
     * stays marked for the next.
     */
    private boolean writtenByTheReplayAfterAChange(StreamMessage message) {
        boolean broadcast = message.isBroadcast();
        if (!(broadcast ? broadcastHistoryChanged : userHistoryChanged) || replayed.isEmpty()) {
            return false;
        }
        if (replayedUserOffsets == null) {
            replayedUserOffsets = new HashSet<>();
            replayedBroadcastOffsets = new HashSet<>();
            for (StreamMessage written : replayed) {
                (written.isBroadcast() ? replayedBroadcastOffsets : replayedUserOffsets).add(written.offset());
            }
        }
        return (broadcast ? replayedBroadcastOffsets : replayedUserOffsets).contains(message.offset());
    }

    private void holdReset(String reason, boolean userHistory, boolean broadcastHistory) {
        if (heldResets == null) {
            heldResets = new ArrayList<>(2);
        }
        heldResets.add(new HeldReset(heldBackLetGo + heldBack.size(), reason, userHistory, broadcastHistory));
    }

    /**
     * Writes a live message (without flushing) unless it is not for this device or was already written; holds it
     * back while the replay is written. Returns whether something was written.
     */
    boolean deliver(StreamMessage message, ByteBuf body) {
        State current = state;
        if (current == State.REPLAYING) {
            if (heldBack.size() - heldBackIndex >= MAX_HELD_BACK) {
                stream.closeTooSlow();
                return false;
            }
            heldBack.add(message);
            return false;
        }
        if (current != State.LIVE || !advance(message)) {
            return false;
        }
        stream.writeShared(this, body);
        return true;
    }

    /**
     * Tells the client that part of its stream is gone for good ({@code sys_reset}); it stays connected. While the
     * replay is being written, the reset waits for its end and goes out among the messages held back meanwhile, after
     * those that came before it.
     */
    void announceReset(String reason) {
        if (state == State.REPLAYING) {
            holdReset(reason, false, false);
        } else if (isLive() && endReason == null) {
            stream.writeFrame(null, SystemEvents.RESET, reason);
            stream.flush();
        }
    }

    /**
     * A failover lost messages of one stream that this connection got ({@code sys_reset history_lost}): the engine then
     * hands on what the stream holds instead, which may come before them, so the next message of that stream is
     * written even if it is older than the last one written. A connection still replaying holds the reset back with
     * the messages after it: the next held-back message of that stream after it that the replay did not write is
     * written whatever its offset (the replay may have read the stream before the change, or after it).
     */
    void announceHistoryChanged(boolean broadcast) {
        if (state == State.REPLAYING) {
            holdReset(Replay.HISTORY_LOST, !broadcast, broadcast);
            return;
        }
        if (isLive() && endReason == null) {
            if (broadcast) {
                broadcastHistoryChanged = true;
            } else {
                userHistoryChanged = true;
            }
        }
        announceReset(Replay.HISTORY_LOST);
    }

    /**
     * A reset of the broadcast stream, in order with the broadcasts its loop was handed before it (see
     * {@link LoopConnections}).
     */
    void announceBroadcastReset(String reason) {
        if (reason.equals(Replay.HISTORY_LOST)) {
            announceHistoryChanged(true);
        } else {
            announceReset(reason);
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
        state = State.ENDING;
        // A kicked or extruded client must not come back: a long reconnect delay stops the clients that do not
        // stop on the 204 their reconnect would get.
        boolean stop = event.equals(SystemEvents.KICK) || event.equals(SystemEvents.EXTRUDE);
        stream.writeFrame(stop ? STOPPED_RETRY_MILLIS : -1, null, event, data);
        stream.close();
    }

    private boolean advance(StreamMessage message) {
        if (message.isBroadcast()) {
            if (message.offset() <= broadcastOffset && !broadcastHistoryChanged) {
                return false;
            }
            broadcastHistoryChanged = false;
            broadcastOffset = message.offset();
            return true;
        }
        if (message.offset() <= userOffset && !userHistoryChanged) {
            return false;
        }
        userHistoryChanged = false;
        userOffset = message.offset();
        return message.addressedTo(session.device());
    }
}
