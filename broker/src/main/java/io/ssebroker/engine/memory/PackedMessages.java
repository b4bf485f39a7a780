package io.ssebroker.engine.memory;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.ssebroker.engine.StreamMessage;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The messages a stream retains, oldest first, packed one after another into a single buffer outside the Java
 * heap (a pooled direct buffer). Retained messages live for seconds to hours: kept as objects (a record, its
 * strings, its device set) each one would be copied by every young pause until it is old, and kept in a heap array
 * the array would still be copied into the old generation, copied again as it grows, and reclaimed only by mixed
 * collections once its messages expire. Off the heap, retention costs the collector nothing; a message is decoded
 * again only when a replay needs it. Not thread-safe: {@link MemoryHistory} guards it with its lock.
 *
 * <p>Owns its buffer: released when the last message is removed and by {@link #release()}, so that an empty stream
 * (the only kind the engine drops) holds none.
 *
 * <p>A record: total length (int), offset (long), publication time (long), event length (int, -1 for none) and
 * bytes, data length (int) and bytes, device count (int), then each device's length (int) and bytes. Text is UTF-8.
 */
final class PackedMessages {
    /** The first buffer of a stream that retains anything; most retain a few small messages. */
    static final int INITIAL_BYTES = 512;
    private static final int HEADER = Integer.BYTES + 2 * Long.BYTES;

    private final String uid;
    private final ByteBufAllocator allocator;
    private ByteBuf bytes = Unpooled.EMPTY_BUFFER;
    /** Where the oldest record starts and where the next one goes. */
    private int start;
    private int end;
    private int count;

    /**
     * @param uid the stream's user, null for the broadcast stream (decoded messages carry it)
     * @param allocator where the buffer comes from (the process's pool)
     */
    PackedMessages(String uid, ByteBufAllocator allocator) {
        this.uid = uid;
        this.allocator = allocator;
    }

    int size() {
        return count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    void addLast(StreamMessage message) {
        String event = message.event();
        int eventBytes = event == null ? 0 : ByteBufUtil.utf8Bytes(event);
        int dataBytes = ByteBufUtil.utf8Bytes(message.data());
        int length = HEADER + Integer.BYTES + eventBytes + Integer.BYTES + dataBytes + Integer.BYTES;
        for (String device : message.devices()) {
            length += Integer.BYTES + ByteBufUtil.utf8Bytes(device);
        }
        makeRoom(length);
        bytes.writerIndex(end);
        bytes.writeInt(length).writeLong(message.offset()).writeLong(message.publishedAtMillis());
        if (event == null) {
            bytes.writeInt(-1);
        } else {
            writeText(event, eventBytes);
        }
        writeText(message.data(), dataBytes);
        bytes.writeInt(message.devices().size());
        for (String device : message.devices()) {
            writeText(device, ByteBufUtil.utf8Bytes(device));
        }
        end = bytes.writerIndex();
        count++;
    }

    /** Offset of the oldest message; only when not empty. */
    private long firstOffset() {
        return bytes.getLong(start + Integer.BYTES);
    }

    /** Publication time of the oldest message; only when not empty. */
    long firstPublishedAtMillis() {
        return bytes.getLong(start + Integer.BYTES + Long.BYTES);
    }

    /** Drops the oldest message and answers its offset; only when not empty. */
    long removeFirst() {
        long offset = firstOffset();
        start += bytes.getInt(start);
        count--;
        if (count == 0) {
            release();
        }
        return offset;
    }

    /** Drops every message and gives the buffer back to the pool. */
    void release() {
        bytes.release();
        bytes = Unpooled.EMPTY_BUFFER;
        start = 0;
        end = 0;
        count = 0;
    }

    /** The size of the buffer the records are packed in. */
    int retainedBufferBytes() {
        return bytes.capacity();
    }

    /** Decodes, oldest first, the messages after {@code offset} that are addressed to {@code device}. */
    void forEachAfter(long offset, String device, Consumer<StreamMessage> action) {
        for (int at = start; at < end; at += bytes.getInt(at)) {
            if (bytes.getLong(at + Integer.BYTES) > offset) {
                StreamMessage message = decode(at);
                if (message.addressedTo(device)) {
                    action.accept(message);
                }
            }
        }
    }

    private StreamMessage decode(int record) {
        long offset = bytes.getLong(record + Integer.BYTES);
        long publishedAt = bytes.getLong(record + Integer.BYTES + Long.BYTES);
        int at = record + HEADER;
        int eventLength = bytes.getInt(at);
        String event = eventLength < 0 ? null : text(at + Integer.BYTES, eventLength);
        at += Integer.BYTES + Math.max(eventLength, 0);
        int dataLength = bytes.getInt(at);
        String data = text(at + Integer.BYTES, dataLength);
        at += Integer.BYTES + dataLength;
        int deviceCount = bytes.getInt(at);
        at += Integer.BYTES;
        String[] devices = new String[deviceCount];
        for (int i = 0; i < deviceCount; i++) {
            int length = bytes.getInt(at);
            devices[i] = text(at + Integer.BYTES, length);
            at += Integer.BYTES + length;
        }
        return new StreamMessage(uid, offset, event, data, Set.of(devices), publishedAt);
    }

    /**
     * Makes {@code needed} bytes free after {@link #end}: the retained records move to the front of the buffer, of
     * a larger one when they would fill more than three quarters of it (so a move frees at least a quarter, and
     * appends cost a bounded number of byte copies each), or of a smaller one when they fill less than an eighth
     * (a burst's buffer is given back once the burst is trimmed away).
     */
    private void makeRoom(int needed) {
        if (end + needed <= bytes.capacity()) {
            return;
        }
        int live = end - start;
        long wanted = (long) live + needed;
        long size = Math.max(bytes.capacity(), INITIAL_BYTES);
        while (wanted > size - size / 4) {
            size *= 2;
        }
        while (size > INITIAL_BYTES && wanted < size / 8) {
            size /= 2;
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("a stream's retained messages outgrew a buffer");
        }
        if (size == bytes.capacity()) {
            bytes.setBytes(0, bytes, start, live);
        } else {
            ByteBuf target = allocator.directBuffer((int) size, (int) size);
            target.setBytes(0, bytes, start, live);
            bytes.release();
            bytes = target;
        }
        start = 0;
        end = live;
    }

    /** Appends a text's length and its UTF-8 bytes, {@code utf8Bytes} of them. */
    private void writeText(String value, int utf8Bytes) {
        bytes.writeInt(utf8Bytes);
        ByteBufUtil.reserveAndWriteUtf8(bytes, value, utf8Bytes);
    }

    private String text(int at, int length) {
        return bytes.toString(at, length, StandardCharsets.UTF_8);
    }
}
