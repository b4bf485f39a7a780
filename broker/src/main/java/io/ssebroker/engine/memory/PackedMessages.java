package io.ssebroker.engine.memory;

import io.ssebroker.engine.StreamMessage;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The messages a stream retains, oldest first, packed one after another into a single byte array. Retained
 * messages live for seconds to minutes, longer than a young collection: kept as objects (a record, its strings, its
 * device set) each one would be copied by every young pause until it is old. Packed, a stream's retention is one
 * array that is copied a few times in its life, and a message costs the collector nothing; it is decoded again only
 * when a replay needs it. Not thread-safe: {@link MemoryHistory} guards it with its lock.
 *
 * <p>A record: total length (int), offset (long), publication time (long), event length (int, -1 for none) and
 * bytes, data length (int) and bytes, device count (int), then each device's length (int) and bytes. Text is UTF-8.
 */
final class PackedMessages {
    private static final byte[] NONE = new byte[0];
    /** The first array of a stream that retains anything; most retain a few small messages. */
    static final int INITIAL_BYTES = 512;
    private static final int HEADER = Integer.BYTES + 2 * Long.BYTES;
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final String uid;
    private byte[] bytes = NONE;
    /** Where the oldest record starts and where the next one goes. */
    private int start;
    private int end;
    private int count;

    /** @param uid the stream's user, null for the broadcast stream (decoded messages carry it) */
    PackedMessages(String uid) {
        this.uid = uid;
    }

    int size() {
        return count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    void addLast(StreamMessage message) {
        byte[] event = message.event() == null ? null : message.event().getBytes(StandardCharsets.UTF_8);
        byte[] data = message.data().getBytes(StandardCharsets.UTF_8);
        byte[][] devices = new byte[message.devices().size()][];
        int length = HEADER + Integer.BYTES + (event == null ? 0 : event.length) + Integer.BYTES + data.length
                + Integer.BYTES;
        int i = 0;
        for (String device : message.devices()) {
            devices[i] = device.getBytes(StandardCharsets.UTF_8);
            length += Integer.BYTES + devices[i++].length;
        }
        makeRoom(length);
        int at = end;
        at = putInt(at, length);
        at = putLong(at, message.offset());
        at = putLong(at, message.publishedAtMillis());
        at = putBytes(at, event);
        at = putBytes(at, data);
        at = putInt(at, devices.length);
        for (byte[] device : devices) {
            at = putBytes(at, device);
        }
        end = at;
        count++;
    }

    /** Offset of the oldest message; only when not empty. */
    private long firstOffset() {
        return getLong(start + Integer.BYTES);
    }

    /** Publication time of the oldest message; only when not empty. */
    long firstPublishedAtMillis() {
        return getLong(start + Integer.BYTES + Long.BYTES);
    }

    /** Drops the oldest message and answers its offset; only when not empty. */
    long removeFirst() {
        long offset = firstOffset();
        start += getInt(start);
        count--;
        if (count == 0) {
            // Nothing retained: a burst's large array is not kept for the next few small messages.
            bytes = bytes.length > INITIAL_BYTES ? NONE : bytes;
            start = 0;
            end = 0;
        }
        return offset;
    }

    /** The size of the array the records are packed in. */
    int retainedArrayBytes() {
        return bytes.length;
    }

    /** Decodes, oldest first, the messages after {@code offset} that are addressed to {@code device}. */
    void forEachAfter(long offset, String device, Consumer<StreamMessage> action) {
        for (int at = start; at < end; at += getInt(at)) {
            if (getLong(at + Integer.BYTES) > offset) {
                StreamMessage message = decode(at);
                if (message.addressedTo(device)) {
                    action.accept(message);
                }
            }
        }
    }

    private StreamMessage decode(int record) {
        int at = record + Integer.BYTES;
        long offset = getLong(at);
        long publishedAt = getLong(at + Long.BYTES);
        at += 2 * Long.BYTES;
        int eventLength = getInt(at);
        at += Integer.BYTES;
        String event = eventLength < 0 ? null : text(at, eventLength);
        at += Math.max(eventLength, 0);
        int dataLength = getInt(at);
        String data = text(at + Integer.BYTES, dataLength);
        at += Integer.BYTES + dataLength;
        int deviceCount = getInt(at);
        at += Integer.BYTES;
        String[] devices = new String[deviceCount];
        for (int i = 0; i < deviceCount; i++) {
            int length = getInt(at);
            devices[i] = text(at + Integer.BYTES, length);
            at += Integer.BYTES + length;
        }
        return new StreamMessage(uid, offset, event, data, Set.of(devices), publishedAt);
    }

    /**
     * Makes {@code needed} bytes free after {@link #end}: the retained records move to the front of the array, of
     * a larger one when they would fill more than three quarters of it (so a move frees at least a quarter, and
     * appends cost a bounded number of byte copies each), or of a smaller one when they fill less than an eighth
     * (a burst's array is given back once the burst is trimmed away).
     */
    private void makeRoom(int needed) {
        if (end + needed <= bytes.length) {
            return;
        }
        int live = end - start;
        long wanted = (long) live + needed;
        long size = Math.max(bytes.length, INITIAL_BYTES);
        while (wanted > size - size / 4) {
            size *= 2;
        }
        while (size > INITIAL_BYTES && wanted < size / 8) {
            size /= 2;
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("a stream's retained messages outgrew an array");
        }
        byte[] target = size == bytes.length ? bytes : new byte[(int) size];
        System.arraycopy(bytes, start, target, 0, live);
        bytes = target;
        start = 0;
        end = live;
    }

    private String text(int at, int length) {
        return new String(bytes, at, length, StandardCharsets.UTF_8);
    }

    private int putBytes(int at, byte[] value) {
        if (value == null) {
            return putInt(at, -1);
        }
        at = putInt(at, value.length);
        System.arraycopy(value, 0, bytes, at, value.length);
        return at + value.length;
    }

    private int putInt(int at, int value) {
        INT.set(bytes, at, value);
        return at + Integer.BYTES;
    }

    private int putLong(int at, long value) {
        LONG.set(bytes, at, value);
        return at + Long.BYTES;
    }

    private int getInt(int at) {
        return (int) INT.get(bytes, at);
    }

    private long getLong(int at) {
        return (long) LONG.get(bytes, at);
    }
}
