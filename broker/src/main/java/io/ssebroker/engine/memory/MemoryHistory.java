package io.ssebroker.engine.memory;

import io.netty.buffer.ByteBufAllocator;
import io.ssebroker.engine.Replay;
import io.ssebroker.engine.StreamMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One bounded stream: at most {@code capacity} messages, none older than {@code maxAgeMillis}. Offsets come from
 * one counter shared by all streams of the engine, so they increase within a stream, order messages across
 * streams, and a stream created again after it was dropped never reuses an offset. Appending and routing happen
 * under the same lock, so delivery order is offset order.
 */
final class MemoryHistory {
    private final String uid;
    private final int capacity;
    private final long maxAgeMillis;
    private final AtomicLong offsets;
    private final PackedMessages messages;
    private long lastOffset;
    private long lastActivityMillis = System.currentTimeMillis();
    /** Every message with an offset up to this one is gone (trimmed, or from before the stream existed). */
    private long trimmedUpTo;

    MemoryHistory(String uid, int capacity, long maxAgeMillis, AtomicLong offsets, ByteBufAllocator allocator) {
        this.uid = uid;
        this.capacity = capacity;
        this.maxAgeMillis = maxAgeMillis;
        this.offsets = offsets;
        this.messages = new PackedMessages(uid, allocator);
        this.lastOffset = offsets.get();
        this.trimmedUpTo = lastOffset;
    }

    synchronized StreamMessage append(String event, String data, Set<String> devices, long now, Consumer<StreamMessage> route) {
        lastOffset = offsets.incrementAndGet();
        lastActivityMillis = now;
        StreamMessage message = new StreamMessage(uid, lastOffset, event, data, devices, now);
        messages.addLast(message);
        while (messages.size() > capacity) {
            trimmedUpTo = messages.removeFirst();
        }
        trimExpired(now);
        route.accept(message);
        return message;
    }

    synchronized long head() {
        return lastOffset;
    }

    /**
     * What a connection that saw this stream up to {@code offset} must be sent. When the offset is unusable (null:
     * from a lost history; beyond the head: unknown; before the retained window: expired), everything retained is
     * sent after a reset with that reason.
     */
    synchronized Slice replay(Long offset, String device, long now) {
        trimExpired(now);
        String reason = null;
        if (offset == null) {
            reason = Replay.HISTORY_LOST;
        } else if (offset > lastOffset) {
            reason = Replay.UNKNOWN_CURSOR;
        } else if (offset < trimmedUpTo) {
            reason = Replay.EXPIRED;
        }
        long start = reason == null ? offset : trimmedUpTo;
        List<StreamMessage> out = new ArrayList<>();
        messages.forEachAfter(start, device, out::add);
        return new Slice(start, out, reason);
    }

    record Slice(long start, List<StreamMessage> messages, String resetReason) {
    }

    /** Marks the stream as in use by a device (connecting or going away) at this time. */
    synchronized void touch(long now) {
        lastActivityMillis = Math.max(lastActivityMillis, now);
    }

    /**
     * True when the stream holds nothing and has not been used for longer than the retention window: any cursor of
     * it is then older than what could be retained, so dropping it (and answering such a cursor with
     * {@code expired}) loses nothing a client could still get.
     */
    synchronized boolean isDisposable(long now) {
        trimExpired(now);
        return messages.isEmpty() && now - lastActivityMillis > maxAgeMillis;
    }

    /** Drops what the stream retains and gives its memory back (the engine is closing). */
    synchronized void release() {
        messages.release();
    }

    private void trimExpired(long now) {
        long oldestAllowed = now - maxAgeMillis;
        while (!messages.isEmpty() && messages.firstPublishedAtMillis() < oldestAllowed) {
            trimmedUpTo = messages.removeFirst();
        }
    }
}
