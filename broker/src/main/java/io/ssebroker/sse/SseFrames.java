package io.ssebroker.sse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * Encodes SSE frames. Data is split on every line terminator the SSE parser knows (CR, LF, CRLF) so that
 * no input can end a field early and forge an {@code event:} or {@code id:} line; single-line fields
 * (id, event) must not contain any.
 */
public final class SseFrames {
    /** The comment a quiet stream gets, followed by its blank line, so that every parser sees a complete event. */
    static final ByteBuf HEARTBEAT = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer().writeBytes(":heartbeat\n\n".getBytes(StandardCharsets.US_ASCII)).asReadOnly());
    /** Room left in front of a stream's own frame for a chunk header: eight hex digits and CRLF. */
    static final int CHUNK_HEADROOM = 10;
    /** Room left behind a stream's own frame for the CRLF that ends its chunk. */
    static final int CHUNK_TAIL = 2;

    private SseFrames() {
    }

    /** The part of a message frame that is the same for every connection: event line, data lines, blank line. */
    public static ByteBuf body(ByteBufAllocator alloc, String event, String data) {
        if (event != null) {
            requireSingleLine("event", event);
        }
        ByteBuf buf = alloc.directBuffer(estimate(event, data));
        writeBody(buf, event, data);
        return buf;
    }

    /** The {@code id:} line that starts a frame; the cursor differs per connection. */
    public static ByteBuf idLine(ByteBufAllocator alloc, FrameId id) {
        ByteBuf buf = own(alloc, idLineLength(id));
        writeIdLine(buf, id);
        return buf;
    }

    /**
     * A message frame in one buffer: this connection's id line, then a copy of the body shared by every connection.
     * For small bodies a copy is cheaper than queueing and writing a second buffer.
     */
    public static ByteBuf withId(ByteBufAllocator alloc, FrameId id, ByteBuf body) {
        int bodyLength = body.readableBytes();
        ByteBuf buf = own(alloc, idLineLength(id) + bodyLength);
        writeIdLine(buf, id);
        buf.writeBytes(body, body.readerIndex(), bodyLength);
        return buf;
    }

    /** A whole frame in one buffer: optional id, optional event name, data. */
    public static ByteBuf frame(ByteBufAllocator alloc, FrameId id, String event, String data) {
        return frame(alloc, -1, id, event, data);
    }

    /**
     * A whole frame that also sets the client's reconnect delay ({@code retry:} line, none when negative): one
     * message instead of a separate {@code retry:} frame, which some clients hand on as an empty message.
     */
    public static ByteBuf frame(ByteBufAllocator alloc, int retryMillis, FrameId id, String event, String data) {
        if (event != null) {
            requireSingleLine("event", event);
        }
        ByteBuf buf = own(alloc, (retryMillis < 0 ? 0 : 20) + (id == null ? 0 : idLineLength(id)) + estimate(event, data));
        if (retryMillis >= 0) {
            buf.writeBytes(RETRY);
            ByteBufUtil.writeAscii(buf, Integer.toString(retryMillis));
            buf.writeByte('\n');
        }
        if (id != null) {
            writeIdLine(buf, id);
        }
        writeBody(buf, event, data);
        return buf;
    }

    /** The heartbeat comment: one constant shared by every stream. */
    public static ByteBuf heartbeat() {
        return HEARTBEAT.duplicate();
    }

    /**
     * A buffer for one stream's frame, with room before and after it for the stream's framing (a chunk header and
     * its CRLF) to be written in place: the frame is one buffer on the wire whatever the HTTP version.
     */
    private static ByteBuf own(ByteBufAllocator alloc, int length) {
        ByteBuf buf = alloc.directBuffer(CHUNK_HEADROOM + length + CHUNK_TAIL);
        buf.writerIndex(CHUNK_HEADROOM).readerIndex(CHUNK_HEADROOM);
        return buf;
    }

    private static int idLineLength(FrameId id) {
        return ID.length + id.idLength() + 1;
    }

    private static void writeIdLine(ByteBuf buf, FrameId id) {
        buf.writeBytes(ID);
        id.writeTo(buf);
        buf.writeByte('\n');
    }

    private static void writeBody(ByteBuf buf, String event, String data) {
        if (event != null) {
            buf.writeBytes(EVENT);
            ByteBufUtil.writeUtf8(buf, event);
            buf.writeByte('\n');
        }
        writeData(buf, data);
        buf.writeByte('\n');
    }

    private static void writeData(ByteBuf buf, String data) {
        int start = 0;
        int length = data.length();
        for (int i = 0; i < length; i++) {
            char c = data.charAt(i);
            if (c == '\n' || c == '\r') {
                writeDataLine(buf, data, start, i);
                if (c == '\r' && i + 1 < length && data.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        writeDataLine(buf, data, start, length);
    }

    private static void writeDataLine(ByteBuf buf, String data, int start, int end) {
        buf.writeBytes(DATA);
        ByteBufUtil.writeUtf8(buf, data, start, end);
        buf.writeByte('\n');
    }

    private static void requireSingleLine(String field, CharSequence value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\n' || c == '\r' || c == 0) {
                throw new IllegalArgumentException(field + " must not contain CR, LF or NUL");
            }
        }
    }

    private static int estimate(String event, String data) {
        int lines = 1;
        for (int i = 0; i < data.length(); i++) {
            if (data.charAt(i) == '\n') {
                lines++;
            }
        }
        return (event == null ? 0 : event.length() * 3 + 8) + data.length() * 3 + lines * 7 + 1;
    }

    private static final byte[] ID = "id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RETRY = "retry: ".getBytes(StandardCharsets.US_ASCII);
}
